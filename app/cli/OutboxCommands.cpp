#include "OutboxCommands.h"

#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "Interrupt.h"
#include "Io.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "base/Clock.h"
#include "engine/OutboxRunner.h"
#include "engine/Send.h"
#include "engine/SentFiler.h"
#include "mail/Envelope.h"
#include "mime/Address.h"
#include "store/AccountStore.h"
#include "store/Outbox.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;

const char* const kSendHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] send --to ADDR [--to ...] [--cc ADDR]...
           [--bcc ADDR]... --subject TEXT (--body-file F | --body TEXT) [--attach F]... [options]
       sealpost-cli [--profile DIR] [--passphrase-file F] send -i MSG.eml [options]
Sends a message, signed with your identity and encrypted when every recipient can be encrypted to
(docs/sending.md). First it says per recipient what will happen (status encrypt, no-key or
available-but-unverified, with the reason and where the certificate came from), then the message
is stored in the outbox and sent to the account's SMTP server. Recipients without a certificate
in the profile are looked up in the directory, when the profile has one. With -i the message is
taken as written (From, To, Cc, Bcc and Subject from its header; a Message-ID and Date are added
when missing); a message that is S/MIME already is sent as it is.
Each Bcc recipient of an encrypted message gets a separate copy encrypted to them; the Bcc field
is never transmitted. Sending the same Message-ID again sends nothing twice.
  --from ADDR      the sender (default: the account's address)
  --account ADDR   the account to send with (default: the account of the From address, or the
                   only account)
  --attach F       attach a file (repeatable)
  --plain          do not encrypt, even when possible (still signed); a reply must not quote
  --remove ADDR    leave this recipient out (repeatable)
  --dry-run        show the plan, send nothing
  --json           the plan and the result as JSON
The account's policy (see account policy) may refuse: require-encryption refuses what cannot be
encrypted to every recipient.
Exit status: 0 the server accepted the message (or --dry-run); 12 refused by policy, nothing
queued; 8 the server refused it for good (its reply is printed); 9 the connection broke after the
whole message had been sent: the server probably has it, and it is held, not sent again, until
you confirm or retry it (see outbox --help); the message stays queued for a retry (see outbox
list) with 3 login refused, 4 server unreachable, 5 certificate not trusted, 6 a temporary
refusal; 2 other errors.
)";

const char* const kOutboxHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] outbox list [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] outbox flush [--force] [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] outbox retry|remove MESSAGE [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] outbox confirm MESSAGE
The messages on their way out (see docs/mail.md, "Outbox and delivery guarantees").
  list    every message with its state (queued, sending, sent, failed, unconfirmed, done),
          attempts, next attempt, last error, Message-ID and recipients
  flush   send every queued message whose next attempt is due (--force: every queued message);
          Ctrl-C stops after the current message (exit 130), the rest stays queued; exit 9 when
          a message is left unconfirmed
  retry   send a queued, refused (failed) or unconfirmed message now, e.g. after fixing the
          account, when the server's refusal was lifted, or when an unconfirmed message did not
          arrive (if it did, the recipients get it twice); exit codes as for send
  confirm an unconfirmed message arrived (you checked with a recipient): it counts as sent and
          the next flush files it in Sent
  remove  forget a queued, failed, unconfirmed or done message (never one being sent)
An unconfirmed message: the attempt broke off at the end of the message, before the server's
reply (the connection broke, or the sending process was killed). The server may have it; it is
held, never sent again on its own.
MESSAGE is the number `outbox list` shows first (its JSON "id"), or the Message-ID.
)";

std::string timeText(std::int64_t unixSeconds) {
    return formatTime(base::TimePoint(std::chrono::seconds(unixSeconds)));
}

// What the user can do with a message in this state (outbox subcommands).
std::vector<std::string> actionsFor(store::OutboxState s) {
    switch (s) {
    case store::OutboxState::Queued:
    case store::OutboxState::Failed: return {"retry", "remove"};
    case store::OutboxState::Unconfirmed: return {"confirm", "retry", "remove"};
    case store::OutboxState::Done: return {"remove"};
    case store::OutboxState::Sending:
    case store::OutboxState::Sent: break;
    }
    return {};
}

json messageJson(const store::OutboxMessage& m) {
    return {{"id", m.id},
            {"message_id", m.messageId},
            {"copy", m.copy},
            {"state", std::string(store::outboxStateName(m.state))},
            {"attempts", m.attempts},
            {"next_attempt", m.state == store::OutboxState::Queued ? json(timeText(m.nextAttempt)) : json(nullptr)},
            {"last_error", m.lastError.empty() ? json(nullptr) : json(m.lastError)},
            {"unknown_outcomes", m.unknownOutcomes},
            {"envelope_from", m.envelopeFrom},
            {"recipients", m.envelopeTo},
            {"queued_at", timeText(m.queuedAt)},
            {"sent_at", m.sentAt ? json(timeText(*m.sentAt)) : json(nullptr)},
            {"actions", actionsFor(m.state)}};
}

// The lines `outbox list` and the flush report print under a held message.
void printHeldAdvice(std::int64_t id) {
    std::cout << "  NOT CONFIRMED: the server may have it; it is held and not sent again. Ask a recipient,\n"
              << "  then `outbox confirm " << id << "` if it arrived, `outbox retry " << id
              << "` to send it again (it may arrive twice), or `outbox remove " << id << "`\n";
}

std::string_view outcomeName(engine::DeliveryOutcome o) {
    switch (o) {
    case engine::DeliveryOutcome::Sent: return "sent";
    case engine::DeliveryOutcome::RetryLater: return "retry";
    case engine::DeliveryOutcome::Failed: return "failed";
    case engine::DeliveryOutcome::NotClaimed: return "busy";
    case engine::DeliveryOutcome::Unconfirmed: return "unconfirmed";
    }
    return "busy";
}

json resultJson(const engine::DeliveryResult& r) {
    return {{"id", r.id},
            {"message_id", r.messageId},
            {"outcome", std::string(outcomeName(r.outcome))},
            {"filed_in_sent", r.filed},
            {"next_attempt",
             r.outcome == engine::DeliveryOutcome::RetryLater ? json(timeText(r.nextAttempt)) : json(nullptr)},
            {"error_code", r.error ? json(std::string(base::errorCodeName(r.error->code))) : json(nullptr)},
            {"error", r.error ? json(r.error->detail) : json(nullptr)}};
}

void printResult(const engine::DeliveryResult& r) {
    std::cout << r.messageId << ": ";
    switch (r.outcome) {
    case engine::DeliveryOutcome::Sent:
        std::cout << "sent" << (r.filed ? " and filed in Sent" : "");
        if (r.error) {
            std::cout << " (not filed in Sent yet: " << r.error->detail << ")";
        }
        break;
    case engine::DeliveryOutcome::RetryLater:
        std::cout << "not sent, retry at " << timeText(r.nextAttempt) << ": " << r.error->detail;
        break;
    case engine::DeliveryOutcome::Failed: std::cout << "REFUSED: " << r.error->detail; break;
    case engine::DeliveryOutcome::NotClaimed: std::cout << "being sent by another process"; break;
    case engine::DeliveryOutcome::Unconfirmed:
        std::cout << "UNCONFIRMED: the connection broke after the whole message had been sent (" << r.error->detail
                  << "); held, not sent again";
        break;
    }
    std::cout << "\n";
}

void printReport(const engine::FlushReport& report) {
    for (const auto& r : report.recovered) {
        std::cout << r.messageId << ": an interrupted attempt was found"
                  << (r.outcomeUnknown ? " at the end of the message (the server may have it): held, not sent again"
                                       : " before the end of the message (nothing was delivered): sent again")
                  << "\n";
    }
    for (const auto& r : report.filedLater) {
        printResult(r);
    }
    for (const auto& r : report.results) {
        printResult(r);
    }
    if (!report.unconfirmed.empty()) {
        std::cout << report.unconfirmed.size() << " message(s) held, waiting for you to confirm or retry:\n";
    }
    for (const auto& m : report.unconfirmed) {
        std::cout << m.id << " " << m.messageId << "\n";
        printHeldAdvice(m.id);
    }
}

json reportJson(const engine::FlushReport& report) {
    json recovered = json::array();
    for (const auto& r : report.recovered) {
        recovered.push_back({{"id", r.id},
                             {"message_id", r.messageId},
                             {"outcome_unknown", r.outcomeUnknown},
                             {"state", r.outcomeUnknown ? "unconfirmed" : "queued"}});
    }
    json held = json::array();
    for (const auto& m : report.unconfirmed) {
        held.push_back(messageJson(m));
    }
    json results = json::array();
    for (const auto& r : report.filedLater) {
        results.push_back(resultJson(r));
    }
    for (const auto& r : report.results) {
        results.push_back(resultJson(r));
    }
    return {{"recovered", recovered}, {"results", results}, {"unconfirmed", held}};
}

base::Result<store::Account> chooseAccount(store::Database& db, const std::optional<std::string>& named,
                                           const std::string& from) {
    store::AccountStore accounts(db);
    if (named) {
        return accounts.find(*named);
    }
    auto all = accounts.list();
    if (!all) {
        return all.error();
    }
    for (const auto& a : *all) {
        if (mime::sameAddress(a.address, from)) {
            return a;
        }
    }
    if (all->size() == 1) {
        return all->front();
    }
    return base::makeError(base::ErrorCode::InvalidArgument,
                           all->empty() ? "no mail account in the profile (see account add)"
                                        : "no account for " + from + "; name one with --account");
}

int exitFor(const engine::DeliveryResult& r) {
    switch (r.outcome) {
    case engine::DeliveryOutcome::Sent: return kExitOk;
    case engine::DeliveryOutcome::Failed: return kExitSendRefused;
    case engine::DeliveryOutcome::Unconfirmed: return kExitUnconfirmed;
    case engine::DeliveryOutcome::RetryLater:
    case engine::DeliveryOutcome::NotClaimed: break;
    }
    // Waiting for a retry: the code says why (a temporary refusal counts as a server error).
    return r.error ? serverExitCode(r.error->code) : kExitServerError;
}

// Sends outbox messages (the copies of one message) now and reports them: the exit code of the
// first copy that did not go out, else 0. `head` is printed first in the JSON output.
int sendNow(store::Database& db, const base::Clock& clock, const std::vector<std::int64_t>& ids, bool asJson,
            const std::string& command, const json& head = json::object()) {
    engine::OutboxRunner runner(db, clock, engine::imapSentFiler(db));
    engine::FlushOptions options;
    options.onlyMessages = ids;
    auto report = runner.flush(options);
    if (!report) {
        return fail(command, report.error());
    }
    if (asJson) {
        json out = head;
        out.update(reportJson(*report));
        std::cout << out.dump(2) << "\n";
    } else {
        printReport(*report);
    }
    for (const auto id : ids) {
        const auto r = std::find_if(report->results.begin(), report->results.end(),
                                    [&](const engine::DeliveryResult& x) { return x.id == id; });
        if (r == report->results.end()) {
            return kExitServerError; // claimed by another process meanwhile
        }
        if (const int code = exitFor(*r); code != kExitOk) {
            return code;
        }
    }
    return kExitOk;
}

int sendNow(store::Database& db, const base::Clock& clock, std::int64_t id, bool asJson, const std::string& command) {
    return sendNow(db, clock, std::vector<std::int64_t>{id}, asJson, command);
}

// The outbox message named by its number (outbox list --json "id") or its Message-ID.
base::Result<store::OutboxMessage> findMessage(const store::Outbox& outbox, const std::string& name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
        return outbox.get(std::stoll(name));
    }
    auto found = outbox.findByMessageId(name.front() == '<' ? name : "<" + name + ">");
    if (!found && found.error().code == base::ErrorCode::NotFound) {
        return base::makeError(base::ErrorCode::NotFound, "no message " + name + " in the outbox");
    }
    return found;
}

// The draft from the options: a message file (-i) or the fields.
base::Result<engine::Draft> draftFrom(const Args& opts) {
    engine::Draft draft;
    const bool fields = opts.has("--to") || opts.has("--cc") || opts.has("--bcc") || opts.has("--subject") ||
                        opts.has("--body") || opts.has("--body-file") || opts.has("--attach");
    if (const auto input = opts.value("-i")) {
        if (fields) {
            return base::makeError(base::ErrorCode::InvalidArgument,
                                   "-i takes the recipients, subject and body from the message: do not combine it "
                                   "with --to, --cc, --bcc, --subject, --body, --body-file or --attach");
        }
        auto data = readInput(*input);
        if (!data) {
            return data.error();
        }
        draft.raw = std::move(data).value();
        if (draft.raw.empty()) {
            return base::makeError(base::ErrorCode::InvalidArgument, *input + ": the message is empty");
        }
        return draft;
    }
    if (!fields) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "give the message with -i MSG.eml, or --to, --subject and --body (see --help)");
    }
    if (!opts.has("--subject") || opts.has("--body") == opts.has("--body-file")) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "give --subject and one of --body and --body-file (see --help)");
    }
    draft.to = opts.values("--to");
    draft.cc = opts.values("--cc");
    draft.bcc = opts.values("--bcc");
    draft.subject = opts.value("--subject").value_or("");
    if (const auto file = opts.value("--body-file")) {
        auto body = readInput(*file);
        if (!body) {
            return body.error();
        }
        draft.body = std::move(body).value();
    } else {
        draft.body = opts.value("--body").value_or("");
    }
    for (const auto& path : opts.values("--attach")) {
        auto data = readInput(path);
        if (!data) {
            return data.error();
        }
        const auto slash = path.find_last_of('/');
        draft.attachments.push_back(
            {slash == std::string::npos ? path : path.substr(slash + 1), "", std::move(data).value()});
    }
    return draft;
}

struct PreparedSend {
    std::int64_t accountId = 0;
    engine::SendPlan plan;
};

// Chooses the account and sender, then plans with the account's policy and the profile's directory.
base::Result<PreparedSend> prepareSend(store::Database& db, const base::Clock& clock, const Args& opts,
                                       engine::Draft& draft) {
    std::string from = opts.value("--from").value_or("");
    if (!draft.raw.empty()) {
        auto header = mail::envelopeOf(draft.raw);
        if (!header) {
            return base::makeError(base::ErrorCode::MalformedInput, header.error().detail);
        }
        from = header->from;
    }
    auto account = chooseAccount(db, opts.value("--account"), from);
    if (!account) {
        return account.error();
    }
    if (draft.raw.empty()) {
        draft.from = from.empty() ? account->address : from;
        draft.fromName = account->displayName;
    }
    auto policy = engine::loadSendPolicy(db, account->address);
    if (!policy) {
        return policy.error();
    }
    auto directory = profileDirectoryLookup(db, clock);
    if (!directory) {
        return directory.error();
    }
    engine::SendOverrides overrides;
    overrides.forcePlain = opts.has("--plain");
    overrides.removeRecipients = opts.values("--remove");
    directory::DirectoryLookup* lookup = (*directory)->lookup ? &*(*directory)->lookup : nullptr;
    const InterruptGuard interrupts;
    auto plan = engine::planSend(db, clock, draft, *policy, overrides, lookup, {});
    if (!plan) {
        return plan.error();
    }
    return PreparedSend{account->id, std::move(plan).value()};
}

json planJson(const engine::SendPlan& plan) {
    json recipients = json::array();
    for (const auto& r : plan.recipients) {
        recipients.push_back({{"address", r.address},
                              {"field", std::string(engine::recipientFieldName(r.field))},
                              {"status", std::string(engine::recipientStatusName(r.status))},
                              {"reason", r.reason},
                              {"detail", r.detail.empty() ? json(nullptr) : json(r.detail)},
                              {"source", std::string(engine::recipientSourceName(r.source))},
                              {"fingerprint", r.fingerprint ? json(*r.fingerprint) : json(nullptr)},
                              {"gcm", r.gcm}});
    }
    return {{"policy", std::string(engine::sendPolicyName(plan.policy))},
            {"sign", plan.sign},
            {"encrypt", plan.encrypt},
            {"cipher", plan.encrypt ? json(std::string(crypto::cipherName(plan.cipher))) : json(nullptr)},
            {"reason", plan.reason},
            {"refusal", plan.refusal ? json(*plan.refusal) : json(nullptr)},
            {"warnings", plan.warnings},
            {"recipients", recipients}};
}

void printPlan(const engine::SendPlan& plan) {
    std::cout << "policy " << engine::sendPolicyName(plan.policy) << "\n";
    for (const auto& r : plan.recipients) {
        std::cout << "  " << r.address << " (" << engine::recipientFieldName(r.field)
                  << "): " << engine::recipientStatusName(r.status) << ", " << r.reason;
        if (r.source != engine::RecipientSource::None) {
            std::cout << ", from " << engine::recipientSourceName(r.source);
        }
        if (r.fingerprint) {
            std::cout << ", certificate " << r.fingerprint->substr(0, 16);
        }
        if (!r.detail.empty()) {
            std::cout << " (" << r.detail << ")";
        }
        std::cout << "\n";
    }
    std::cout << "will be: ";
    if (plan.refusal) {
        std::cout << "REFUSED: " << *plan.refusal << "\n";
    } else if (plan.encrypt) {
        std::cout << (plan.sign ? "signed and encrypted (" : "encrypted, not signed (")
                  << crypto::cipherName(plan.cipher) << ")\n";
    } else if (plan.sign) {
        std::cout << "signed only: " << plan.reason << "\n";
    } else if (plan.reason == "already-protected") {
        std::cout << "sent as it is (already S/MIME)\n";
    } else {
        std::cout << "neither signed nor encrypted: " << plan.reason << "\n";
    }
    for (const auto& w : plan.warnings) {
        std::cout << "warning: " << w << "\n";
    }
}

// Every copy was queued before: nothing is sent again; says what became of the message.
int reportQueuedBefore(store::Database& db, const base::Clock& clock, const std::vector<std::int64_t>& ids,
                       const std::string& messageId, bool asJson, const json& head) {
    store::Outbox outbox(db, clock);
    std::vector<store::OutboxMessage> copies;
    for (const auto id : ids) {
        auto existing = outbox.get(id);
        if (!existing) {
            return fail("send", existing.error());
        }
        existing->raw.clear();
        existing->sentCopy.clear();
        copies.push_back(std::move(existing).value());
    }
    if (std::any_of(copies.begin(), copies.end(),
                    [](const store::OutboxMessage& m) { return m.state == store::OutboxState::Queued; })) {
        return sendNow(db, clock, ids, asJson, "send", head);
    }
    const store::OutboxMessage& main = copies.front();
    if (asJson) {
        json out = head;
        out["already_queued"] = true;
        out["message"] = messageJson(main);
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << messageId << ": queued before, now " << store::outboxStateName(main.state)
                  << "; nothing sent again\n";
    }
    int code = kExitOk;
    for (const auto& m : copies) {
        const auto s = m.state;
        const int c = s == store::OutboxState::Failed        ? kExitSendRefused
                      : s == store::OutboxState::Unconfirmed ? kExitUnconfirmed
                      : s == store::OutboxState::Sending     ? kExitServerError
                                                             : kExitOk;
        code = code == kExitOk ? c : code;
    }
    return code;
}

} // namespace

int runSend(const std::vector<std::string>& args, const GlobalOptions& global) {
    const std::string command = "send";
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << kSendHelp;
        return kExitOk;
    }
    std::string error;
    auto opts = Args::parse(args,
                            {"-i", "--account", "--to", "--cc", "--bcc", "--subject", "--body-file", "--body",
                             "--attach", "--from", "--remove"},
                            {"--json", "--plain", "--dry-run"}, error);
    if (!opts) {
        return fail(command, error);
    }
    auto draft = draftFrom(*opts);
    if (!draft) {
        return fail(command, draft.error().detail);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    auto prepared = prepareSend(*db, clock, *opts, *draft);
    if (!prepared) {
        const auto code = prepared.error().code;
        return fail(command, prepared.error().detail,
                    code == base::ErrorCode::InvalidArgument || code == base::ErrorCode::MalformedInput
                        ? kExitUsage
                        : serverExitCode(code));
    }
    const engine::SendPlan& plan = prepared->plan;
    const bool asJson = opts->has("--json");
    const json head = json::object({{"plan", planJson(plan)}});
    if (!asJson) {
        printPlan(plan);
    }
    if (plan.refusal) {
        if (asJson) {
            std::cout << head.dump(2) << "\n";
        }
        return fail(command, "refused by policy: " + *plan.refusal + "; nothing was sent", kExitRefusedByPolicy);
    }
    if (opts->has("--dry-run")) {
        if (asJson) {
            std::cout << head.dump(2) << "\n";
        }
        return kExitOk;
    }
    auto outgoing = engine::buildOutgoing(*db, clock, *draft, plan);
    if (!outgoing) {
        return fail(command, outgoing.error());
    }
    auto queued = engine::queueOutgoing(*db, clock, prepared->accountId, *outgoing);
    if (!queued) {
        return fail(command, queued.error());
    }
    std::vector<std::int64_t> ids;
    for (const auto& q : *queued) {
        ids.push_back(q.id);
    }
    if (std::none_of(queued->begin(), queued->end(), [](const store::QueueOutcome& q) { return q.added; })) {
        return reportQueuedBefore(*db, clock, ids, outgoing->messageId, asJson, head);
    }
    return sendNow(*db, clock, ids, asJson, command, head);
}

int runOutbox(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kOutboxHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string command = "outbox " + args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    const bool targeted = args[0] == "retry" || args[0] == "remove" || args[0] == "confirm";
    if (args[0] != "list" && args[0] != "flush" && !targeted) {
        return fail("outbox", "unknown subcommand \"" + args[0] + "\" (see --help)");
    }
    std::string target;
    if (targeted) {
        if (rest.empty() || rest.front().starts_with("--")) {
            return fail(command, "name the message: its number or Message-ID from outbox list");
        }
        target = rest.front();
        rest.erase(rest.begin());
    }
    std::string error;
    auto opts = Args::parse(
        rest, {}, targeted ? std::vector<std::string>{"--json"} : std::vector<std::string>{"--json", "--force"}, error);
    if (!opts) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    const bool json = opts->has("--json");
    if (args[0] == "list") {
        store::Outbox outbox(*db, clock);
        auto messages = outbox.list();
        if (!messages) {
            return fail(command, messages.error());
        }
        if (json) {
            json::array_t out;
            for (const auto& m : *messages) {
                out.push_back(messageJson(m));
            }
            std::cout << json::object({{"messages", out}}).dump(2) << "\n";
            return kExitOk;
        }
        for (const auto& m : *messages) {
            std::cout << m.id << " " << store::outboxStateName(m.state) << " " << m.messageId
                      << (m.copy.empty() ? "" : " (" + m.copy + ")") << "\n"
                      << "  from " << m.envelopeFrom << " to";
            for (const auto& r : m.envelopeTo) {
                std::cout << " " << r;
            }
            std::cout << "\n  attempts " << m.attempts;
            if (m.state == store::OutboxState::Queued) {
                std::cout << ", next attempt " << timeText(m.nextAttempt);
            }
            if (m.sentAt) {
                std::cout << ", sent " << timeText(*m.sentAt);
            }
            std::cout << "\n";
            if (m.unknownOutcomes > 0) {
                std::cout << "  " << m.unknownOutcomes << " attempt(s) broke off at the end of the message\n";
            }
            if (!m.lastError.empty()) {
                std::cout << "  last error: " << m.lastError << "\n";
            }
            if (m.state == store::OutboxState::Unconfirmed) {
                printHeldAdvice(m.id);
            }
        }
        return kExitOk;
    }
    if (targeted) {
        store::Outbox outbox(*db, clock);
        auto message = findMessage(outbox, target);
        if (!message) {
            const auto& e = message.error();
            return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail, serverExitCode(e.code));
        }
        if (args[0] == "remove") {
            if (auto removed = outbox.remove(message->id); !removed) {
                return fail(command, message->messageId + " is " + std::string(store::outboxStateName(message->state)) +
                                         ": only queued, failed, unconfirmed or done messages can be removed");
            }
            std::cout << message->messageId << ": removed from the outbox\n";
            return kExitOk;
        }
        if (args[0] == "confirm") {
            if (auto confirmed = outbox.confirm(message->id); !confirmed) {
                return fail(command, message->messageId + " is " + std::string(store::outboxStateName(message->state)) +
                                         ": only unconfirmed messages can be confirmed");
            }
            std::cout << message->messageId << ": confirmed as delivered; the next outbox flush files it in Sent\n";
            return kExitOk;
        }
        if (message->state == store::OutboxState::Failed || message->state == store::OutboxState::Unconfirmed) {
            if (auto again = outbox.requeue(message->id); !again) {
                return fail(command, again.error());
            }
        } else if (message->state != store::OutboxState::Queued) {
            return fail(command, message->messageId + " is " + std::string(store::outboxStateName(message->state)) +
                                     ": only queued, failed or unconfirmed messages are sent again");
        }
        return sendNow(*db, clock, message->id, json, command);
    }
    const InterruptGuard interrupts;
    engine::OutboxRunner runner(*db, clock, engine::imapSentFiler(*db, &interruptFlag()));
    engine::FlushOptions options;
    options.force = opts->has("--force");
    options.cancel = &interruptFlag();
    auto report = runner.flush(options);
    if (!report && report.error().code == base::ErrorCode::Cancelled) {
        std::cerr << "sealpost-cli outbox flush: interrupted; what was sent is recorded, the rest stays queued\n";
        return kExitInterrupted;
    }
    if (!report) {
        return fail(command, report.error());
    }
    if (json) {
        std::cout << reportJson(*report).dump(2) << "\n";
    } else {
        printReport(*report);
    }
    return report->unconfirmed.empty() ? kExitOk : kExitUnconfirmed;
}

} // namespace sealpost::cli
