#include "engine/BulkSend.h"

#include "crypto/AddressHash.h"
#include "crypto/CmsTypes.h"
#include "engine/BulkJournal.h"
#include "engine/Compose.h"
#include "engine/Compose.h"
#include "engine/ProtectionPlan.h"
#include "engine/RecipientResolver.h"
#include "mail/Envelope.h"
#include "mail/SmtpClient.h"
#include "smime/MessageProtector.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

namespace sealpost::engine {

using base::ErrorCode;
using json = nlohmann::json;

namespace {

base::Error lineError(std::size_t line, const std::string& what) {
    return base::makeError(ErrorCode::MalformedInput, "line " + std::to_string(line) + ": " + what);
}

base::Result<std::string> readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return base::makeError(ErrorCode::Io, "cannot read " + path.string());
    }
    std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
        return base::makeError(ErrorCode::Io, "cannot read " + path.string());
    }
    return data;
}

std::filesystem::path resolve(const std::filesystem::path& baseDir, const std::string& name) {
    const std::filesystem::path p(name);
    return p.is_absolute() ? p : baseDir / p;
}

base::Result<std::vector<std::string>> parseRecipients(const json& to, std::size_t line) {
    std::vector<std::string> raw;
    if (to.is_string()) {
        raw.push_back(to.get<std::string>());
    } else if (to.is_array()) {
        for (const auto& a : to) {
            if (!a.is_string()) {
                return lineError(line, "\"to\" must hold addresses (strings)");
            }
            raw.push_back(a.get<std::string>());
        }
    } else {
        return lineError(line, "\"to\" is missing (an address or a list of addresses)");
    }
    if (raw.empty()) {
        return lineError(line, "\"to\" is empty");
    }
    std::vector<std::string> out;
    for (const auto& a : raw) {
        auto normal = crypto::normaliseAddress(a);
        if (!normal) {
            return lineError(line, "recipient \"" + a + "\": " + normal.error().detail);
        }
        if (std::find(out.begin(), out.end(), *normal) == out.end()) {
            out.push_back(std::move(*normal));
        }
    }
    return out;
}

base::Result<std::string> stringField(const json& obj, const char* name, std::size_t line) {
    const auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_string()) {
        return lineError(line, std::string("\"") + name + "\" must be a string");
    }
    return it->get<std::string>();
}

} // namespace

base::Result<BulkItem> parseBulkLine(std::string_view jsonLine, std::size_t line,
                                     const std::filesystem::path& baseDir) {
    json obj = json::parse(jsonLine, nullptr, false);
    if (obj.is_discarded() || !obj.is_object()) {
        return lineError(line, "not a JSON object");
    }
    static constexpr std::array kKnown{"to", "subject", "body", "body_file", "attachments", "id"};
    for (const auto& [key, value] : obj.items()) {
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
            return lineError(line, "unknown field \"" + key + "\"");
        }
    }
    BulkItem item;
    item.line = line;
    auto to = parseRecipients(obj.contains("to") ? obj["to"] : json(), line);
    if (!to) {
        return to.error();
    }
    item.to = std::move(*to);
    auto subject = stringField(obj, "subject", line);
    auto body = stringField(obj, "body", line);
    auto bodyFile = stringField(obj, "body_file", line);
    auto id = stringField(obj, "id", line);
    for (const auto* r : {&subject, &body, &bodyFile, &id}) {
        if (!*r) {
            return r->error();
        }
    }
    if (subject->find_first_of("\r\n") != std::string::npos) {
        return lineError(line, "\"subject\" must be one line");
    }
    item.subject = std::move(*subject);
    item.id = std::move(*id);
    if (!body->empty() && !bodyFile->empty()) {
        return lineError(line, R"(give "body" or "body_file", not both)");
    }
    if (!bodyFile->empty()) {
        auto data = readFile(resolve(baseDir, *bodyFile));
        if (!data) {
            return lineError(line, "body_file: " + data.error().detail);
        }
        item.body = std::move(*data);
    } else {
        item.body = std::move(*body);
    }
    if (const auto it = obj.find("attachments"); it != obj.end() && !it->is_null()) {
        if (!it->is_array()) {
            return lineError(line, "\"attachments\" must be a list of file names");
        }
        for (const auto& a : *it) {
            if (!a.is_string() || a.get<std::string>().empty()) {
                return lineError(line, "\"attachments\" must be a list of file names");
            }
            const auto path = resolve(baseDir, a.get<std::string>());
            auto data = readFile(path);
            if (!data) {
                return lineError(line, "attachment: " + data.error().detail);
            }
            item.attachments.push_back({path.filename().string(), "", std::move(*data)});
        }
    }
    return item;
}

std::string_view bulkOutcomeName(BulkOutcome outcome) noexcept {
    switch (outcome) {
    case BulkOutcome::Encrypted: return "encrypted";
    case BulkOutcome::Plain: return "plain";
    case BulkOutcome::Skipped: return "skipped";
    case BulkOutcome::Failed: return "failed";
    case BulkOutcome::Unconfirmed: return "unconfirmed";
    case BulkOutcome::AlreadyDone: return "already-done";
    }
    return "failed";
}

std::string bulkMessageId(std::string_view batchSha256, std::size_t line, std::string_view senderAddress) {
    const auto at = senderAddress.rfind('@');
    const std::string_view domain = at == std::string_view::npos ? "localhost" : senderAddress.substr(at + 1);
    return "<bulk." + std::string(batchSha256.substr(0, 24)) + "." + std::to_string(line) + "@" + std::string(domain) +
           ">";
}

// ---------------------------------------------------------------------------------------------
// Running a batch

namespace {

// A failure of the connection or the account, not of one message: every further item would fail
// the same way, so the run stops.
bool connectionWide(ErrorCode code) {
    return code == ErrorCode::Unreachable || code == ErrorCode::AuthFailed || code == ErrorCode::UntrustedServer ||
           code == ErrorCode::InvalidArgument || code == ErrorCode::Unsupported;
}

struct Job {
    BulkItem item;
    std::string messageId;
    std::vector<crypto::Certificate> recipients; // empty: plain (signed only)
    crypto::ContentCipher cipher = crypto::ContentCipher::Aes256Cbc;
    std::string plainReason;
    std::string plainDetail;
};

// What the calling thread and the workers share.
struct Pipeline {
    std::mutex mutex;
    std::condition_variable jobReady;
    std::condition_variable changed; // a job was taken or a result added
    std::deque<Job> jobs;
    std::deque<BulkItemResult> finished;
    std::optional<base::Error> stop;
    bool closing = false;
    std::size_t capacity = 0;
};

struct WorkerContext {
    Pipeline& pipeline;
    BulkJournal& journal;
    const base::Clock& clock;
    const store::Account& account;
    const ProtectionPlan& own;
    const BulkOptions& options;
};

bool cancelRequested(const BulkOptions& options) {
    return options.cancel != nullptr && options.cancel->load();
}

base::Result<std::string> protect(const WorkerContext& ctx, const Job& job) {
    Draft draft;
    draft.from = ctx.account.address;
    draft.fromName = ctx.account.displayName;
    draft.to = job.item.to;
    draft.subject = job.item.subject;
    draft.body = job.item.body;
    draft.attachments = job.item.attachments;
    ComposeOptions compose;
    compose.now = ctx.clock.now();
    compose.messageId = job.messageId;
    auto message = composeMessage(draft, compose);
    if (!message) {
        return message.error();
    }
    smime::ProtectRequest request;
    request.sign = smime::SignStep{*ctx.own.signer, smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256,
                                   ctx.own.ownEncryption};
    request.now = compose.now;
    request.protectHeaders = true;
    if (!job.recipients.empty()) {
        smime::EncryptStep step{job.recipients, {}};
        step.options.cipher = job.cipher;
        if (ctx.options.encryptToSender && ctx.own.ownEncryption) {
            step.recipients.push_back(*ctx.own.ownEncryption);
        }
        request.encrypt = std::move(step);
    }
    std::string out;
    out.reserve(message->wire.size() * 2 + 4096);
    base::StringSink sink(out);
    if (auto done = smime::protectMessage(message->wire, request, sink); !done) {
        return done.error();
    }
    return out;
}

std::string smtpReason(ErrorCode code) {
    switch (code) {
    case ErrorCode::PermanentFailure: return "smtp-refused";
    case ErrorCode::TemporaryFailure: return "smtp-temporary";
    default: return "smtp-" + std::string(base::errorCodeName(code));
    }
}

// Signs, encrypts and sends one item; records it in the journal around the end of data.
BulkItemResult process(const WorkerContext& ctx, mail::SmtpClient& client, const Job& job) {
    BulkItemResult r{job.item.line, job.item.id, job.messageId, BulkOutcome::Failed, "", ""};
    auto message = protect(ctx, job);
    if (!message) {
        r.reason = "protect-failed";
        r.detail = std::string(base::errorCodeName(message.error().code)) + ": " + message.error().detail;
        return r;
    }
    bool endOfData = false;
    std::optional<base::Error> journalError;
    mail::SubmissionSource source(*message);
    const mail::SmtpSubmission submission{ctx.account.address, &job.item.to, &source, [&]() -> base::Result<void> {
                                              auto recorded = ctx.journal.recordInFlight(job.item.line);
                                              endOfData = recorded.ok();
                                              if (!recorded) {
                                                  journalError = recorded.error();
                                              }
                                              return recorded;
                                          }};
    auto sent = client.send(submission);
    const bool encrypted = !job.recipients.empty();
    if (sent) {
        r.outcome = encrypted ? BulkOutcome::Encrypted : BulkOutcome::Plain;
        r.reason = encrypted ? "" : job.plainReason;
        r.detail = encrypted ? "" : job.plainDetail;
        if (auto done = ctx.journal.recordDone(job.item.line, encrypted); !done) {
            journalError = done.error();
        }
    } else if (endOfData && client.lastRefusal().empty()) {
        // The server may have it: held (the journal says in flight), never sent again on its own.
        r.outcome = BulkOutcome::Unconfirmed;
        r.reason = "no-reply-after-data";
        r.detail = sent.error().detail;
    } else {
        r.reason = journalError ? "journal-write-failed" : smtpReason(sent.error().code);
        r.detail = journalError ? journalError->detail : sent.error().detail;
        if (endOfData) {
            if (auto refused = ctx.journal.recordRefused(job.item.line); !refused) {
                journalError = refused.error();
            }
        }
    }
    if (journalError || (!sent && !endOfData && connectionWide(sent.error().code))) {
        const std::lock_guard lock(ctx.pipeline.mutex);
        if (!ctx.pipeline.stop) {
            ctx.pipeline.stop = journalError ? *journalError : sent.error();
        }
    }
    return r;
}

void workerLoop(const WorkerContext& ctx) {
    mail::SmtpClient client(ctx.account.smtp);
    for (;;) {
        Job job;
        {
            std::unique_lock lock(ctx.pipeline.mutex);
            ctx.pipeline.jobReady.wait(lock, [&] {
                return !ctx.pipeline.jobs.empty() || ctx.pipeline.closing || ctx.pipeline.stop.has_value();
            });
            if (ctx.pipeline.stop || ctx.pipeline.jobs.empty() || cancelRequested(ctx.options)) {
                ctx.pipeline.changed.notify_all();
                return; // what is left in the queue stays for a resume
            }
            job = std::move(ctx.pipeline.jobs.front());
            ctx.pipeline.jobs.pop_front();
        }
        ctx.pipeline.changed.notify_all();
        BulkItemResult result = process(ctx, client, job);
        {
            const std::lock_guard lock(ctx.pipeline.mutex);
            ctx.pipeline.finished.push_back(std::move(result));
        }
        ctx.pipeline.changed.notify_all();
    }
}

// The calling thread's side: counting, progress, and feeding the workers.
class Collector {
public:
    Collector(BulkSummary& summary, const BulkOptions& options) : m_summary(summary), m_options(options) {}

    void add(BulkItemResult r) {
        switch (r.outcome) {
        case BulkOutcome::Encrypted: ++m_summary.encrypted; return;
        case BulkOutcome::Plain: ++m_summary.plain; return;
        case BulkOutcome::AlreadyDone: ++m_summary.alreadyDone; return;
        case BulkOutcome::Skipped: ++m_summary.skipped; break;
        case BulkOutcome::Failed: ++m_summary.failed; break;
        case BulkOutcome::Unconfirmed: ++m_summary.unconfirmed; break;
        }
        if (m_summary.problems.size() < m_options.maxProblems) {
            m_summary.problems.push_back(std::move(r));
        } else {
            ++m_summary.problemsDropped;
        }
    }

    [[nodiscard]] std::size_t counted() const {
        return m_summary.encrypted + m_summary.plain + m_summary.skipped + m_summary.failed + m_summary.unconfirmed +
               m_summary.alreadyDone;
    }

    void report(bool force) {
        if (!m_options.progress) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!force && now - m_lastReport < std::chrono::milliseconds(100)) {
            return;
        }
        m_lastReport = now;
        m_options.progress(BulkProgress{counted(), m_summary.total});
    }

    // Moves finished results into the summary (the pipeline's mutex held by the caller).
    void drain(Pipeline& p) {
        while (!p.finished.empty()) {
            add(std::move(p.finished.front()));
            p.finished.pop_front();
        }
    }

private:
    BulkSummary& m_summary;
    const BulkOptions& m_options;
    std::chrono::steady_clock::time_point m_lastReport{};
};

std::string noKeyDetail(const std::vector<const ResolvedRecipient*>& missing) {
    std::string detail;
    for (const auto* r : missing) {
        if (!detail.empty()) {
            detail += "; ";
        }
        detail += r->address + ": " + std::string(store::selectionReasonName(r->selection.reason));
        if (r->lookup) {
            detail += " (directory: " + std::string(directory::lookupOutcomeName(r->lookup->outcome));
            if (r->lookup->error) {
                detail += ": " + r->lookup->error->detail;
            }
            detail += ")";
        }
    }
    return detail;
}

} // namespace

namespace {

// The calling thread's run: reads the batch, resolves recipients in steps, queues jobs.
class BatchRun {
public:
    struct Inputs {
        store::Database& db;
        const base::Clock& clock;
        directory::DirectoryLookup* lookup;
        const store::Account& account;
        const BulkOptions& options;
        const BatchFingerprint& batch;
        const BulkJournal& journal;
        std::filesystem::path baseDir;
    };

    BatchRun(Inputs in, Pipeline& pipeline, Collector& collector)
        : m_in(std::move(in)), m_pipeline(pipeline), m_collector(collector) {}

    // Reads every line; stops early when cancelled or when the pipeline stopped.
    base::Result<void> readAll(const std::filesystem::path& batchFile) {
        std::ifstream in(batchFile, std::ios::binary);
        if (!in) {
            return base::makeError(ErrorCode::Io, "cannot read " + batchFile.string());
        }
        std::vector<BulkItem> step;
        std::string text;
        std::size_t line = 0;
        while (std::getline(in, text)) {
            ++line;
            if (text.find_first_not_of(" \t\r") == std::string::npos) {
                continue;
            }
            if (stopping()) {
                return base::Ok{};
            }
            if (auto item = admit(text, line)) {
                step.push_back(std::move(*item));
            }
            if (step.size() >= std::max<std::size_t>(1, m_in.options.lookupBatch)) {
                if (auto fed = feed(step); !fed) {
                    return fed;
                }
                step.clear();
            }
        }
        if (in.bad()) {
            return base::makeError(ErrorCode::Io, "cannot read " + batchFile.string());
        }
        return stopping() ? base::Result<void>(base::Ok{}) : feed(step);
    }

private:
    [[nodiscard]] bool stopping() {
        if (cancelRequested(m_in.options)) {
            return true;
        }
        const std::lock_guard lock(m_pipeline.mutex);
        return m_pipeline.stop.has_value();
    }

    void record(BulkItemResult r) {
        const std::lock_guard lock(m_pipeline.mutex);
        m_collector.add(std::move(r));
        m_collector.drain(m_pipeline);
    }

    // The item to send for this line, or nothing when the journal or the line settles it.
    std::optional<BulkItem> admit(const std::string& text, std::size_t line) {
        const std::string messageId = bulkMessageId(m_in.batch.sha256, line, m_in.account.address);
        const JournalState state = m_in.journal.stateOf(line);
        if (state == JournalState::DoneEncrypted || state == JournalState::DonePlain) {
            record({line, "", messageId, BulkOutcome::AlreadyDone, "", ""});
            return std::nullopt;
        }
        auto item = parseBulkLine(text, line, m_in.baseDir);
        if (state == JournalState::InFlight && !m_in.options.resendUnconfirmed) {
            record({line, item ? item->id : "", messageId, BulkOutcome::Unconfirmed, "unconfirmed-earlier-run",
                    "an earlier run was interrupted after the end of data, before the server's reply: the message "
                    "may have been delivered; not sent again"});
            return std::nullopt;
        }
        if (!item) {
            record({line, "", messageId, BulkOutcome::Failed, "malformed-line", item.error().detail});
            return std::nullopt;
        }
        return std::move(*item);
    }

    // Resolves the step's recipients (one directory batch) and queues its items.
    base::Result<void> feed(std::vector<BulkItem>& step) {
        if (step.empty()) {
            return base::Ok{};
        }
        std::vector<std::string> addresses;
        std::unordered_map<std::string, std::size_t> index;
        for (const auto& item : step) {
            for (const auto& a : item.to) {
                if (index.emplace(a, addresses.size()).second) {
                    addresses.push_back(a);
                }
            }
        }
        auto resolved = resolveRecipients(m_in.db, m_in.clock, addresses, m_in.lookup, m_in.options.lookup);
        if (!resolved) {
            return resolved.error();
        }
        for (auto& item : step) {
            Job job;
            std::vector<const ResolvedRecipient*> missing;
            bool allGcm = true;
            for (const auto& a : item.to) {
                const ResolvedRecipient& r = (*resolved)[index.at(a)];
                if (r.selection.cert) {
                    job.recipients.push_back(r.selection.cert->cert);
                    allGcm = allGcm && crypto::isAuthenticated(r.selection.cipher);
                } else {
                    missing.push_back(&r);
                }
            }
            job.messageId = bulkMessageId(m_in.batch.sha256, item.line, m_in.account.address);
            if (!missing.empty()) {
                job.recipients.clear();
                job.plainReason = "recipient-without-key";
                job.plainDetail = noKeyDetail(missing);
                if (m_in.options.noKey == NoKeyAction::Skip) {
                    record({item.line, item.id, job.messageId, BulkOutcome::Skipped, job.plainReason, job.plainDetail});
                    continue;
                }
            }
            job.cipher = allGcm ? crypto::ContentCipher::Aes256Gcm : crypto::ContentCipher::Aes256Cbc;
            job.item = std::move(item);
            if (!push(std::move(job))) {
                return base::Ok{}; // stopping: the rest stays for a resume
            }
        }
        return base::Ok{};
    }

    // Waits for room in the queue, counting finished items meanwhile. False when stopping.
    bool push(Job job) {
        std::unique_lock lock(m_pipeline.mutex);
        for (;;) {
            m_collector.drain(m_pipeline);
            if (m_pipeline.stop || cancelRequested(m_in.options)) {
                return false;
            }
            if (m_pipeline.jobs.size() < m_pipeline.capacity) {
                break;
            }
            m_pipeline.changed.wait_for(lock, std::chrono::milliseconds(100));
            lock.unlock();
            m_collector.report(false);
            lock.lock();
        }
        m_pipeline.jobs.push_back(std::move(job));
        m_pipeline.jobReady.notify_one();
        lock.unlock();
        m_collector.report(false);
        return true;
    }

    Inputs m_in;
    Pipeline& m_pipeline;
    Collector& m_collector;
};

} // namespace

BulkSender::BulkSender(store::Database& db, const base::Clock& clock, store::Account account,
                       directory::DirectoryLookup* lookup)
    : m_db(db), m_clock(clock), m_account(std::move(account)), m_lookup(lookup) {}

base::Result<BulkSummary> BulkSender::run(const std::filesystem::path& batchFile, const BulkOptions& options) {
    auto batch = fingerprintBatch(batchFile);
    if (!batch) {
        return batch.error();
    }
    auto own = planProtection(m_db, m_clock, m_account.address, {});
    if (!own) {
        return own.error();
    }
    if (!own->signer) {
        return base::makeError(ErrorCode::InvalidArgument,
                               "no current signing identity for " + m_account.address + " (see identity import)");
    }
    const auto journalPath =
        options.journal.empty() ? std::filesystem::path(batchFile.string() + ".journal") : options.journal;
    auto journal = BulkJournal::open(journalPath, *batch, options.syncJournal);
    if (!journal) {
        return journal.error();
    }
    BulkSummary summary;
    summary.total = batch->items;
    Pipeline pipeline;
    const unsigned workers = std::max(1U, options.parallelism);
    pipeline.capacity = 4 * static_cast<std::size_t>(workers);
    Collector collector(summary, options);
    const WorkerContext ctx{pipeline, *journal, m_clock, m_account, *own, options};
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) {
        threads.emplace_back([&ctx] { workerLoop(ctx); });
    }
    BatchRun reader({m_db, m_clock, m_lookup, m_account, options, *batch, *journal, batchFile.parent_path()}, pipeline,
                    collector);
    auto read = reader.readAll(batchFile);
    {
        const std::lock_guard lock(pipeline.mutex);
        pipeline.closing = true;
        if (!read && !pipeline.stop) {
            pipeline.stop = read.error(); // the store failed: stop what is queued too
        }
    }
    pipeline.jobReady.notify_all();
    // Wait for the workers, counting their results as they come.
    {
        std::unique_lock lock(pipeline.mutex);
        while (!pipeline.jobs.empty() && !pipeline.stop && !cancelRequested(options)) {
            collector.drain(pipeline);
            pipeline.changed.wait_for(lock, std::chrono::milliseconds(100));
            lock.unlock();
            collector.report(false);
            lock.lock();
        }
    }
    for (auto& t : threads) {
        t.join();
    }
    {
        const std::lock_guard lock(pipeline.mutex);
        collector.drain(pipeline);
        summary.stoppedBy = pipeline.stop;
    }
    summary.cancelled = cancelRequested(options);
    summary.notAttempted = summary.total - std::min(summary.total, collector.counted());
    collector.report(true);
    return summary;
}

} // namespace sealpost::engine
