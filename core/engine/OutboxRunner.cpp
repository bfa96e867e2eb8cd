#include "engine/OutboxRunner.h"

#include "mail/Envelope.h"
#include "mail/SmtpClient.h"
#include "store/AccountStore.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <unistd.h>

namespace sealpost::engine {

using base::ErrorCode;

namespace {

// Field 22 of /proc/PID/stat: when the process started, so a reused pid is not mistaken for it.
std::string processStartTime(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto close = stat.rfind(')'); // the command name may contain spaces and parentheses
    if (close == std::string::npos) {
        return {};
    }
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
    }
    return field;
}

// A failure of the connection or the account, not of one message: the rest of the account's
// messages would fail the same way, so they are not tried now.
bool connectionWide(ErrorCode code) {
    return code == ErrorCode::Unreachable || code == ErrorCode::AuthFailed || code == ErrorCode::UntrustedServer ||
           code == ErrorCode::InvalidArgument || code == ErrorCode::Unsupported;
}

} // namespace

std::string currentProcessOwner() {
    const long pid = ::getpid();
    return std::to_string(pid) + ":" + processStartTime(pid);
}

bool processOwnerAlive(std::string_view owner) {
    const auto colon = owner.find(':');
    long pid = 0;
    try {
        pid = std::stol(std::string(owner.substr(0, colon)));
    } catch (...) {
        return false; // not written by us: nobody can hold it
    }
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) {
        return false;
    }
    const std::string start = colon == std::string_view::npos ? std::string() : std::string(owner.substr(colon + 1));
    return start.empty() || processStartTime(pid) == start;
}

OutboxRunner::OutboxRunner(store::Database& db, const base::Clock& clock, FileInSent fileInSent)
    : m_db(db), m_outbox(db, clock), m_fileInSent(std::move(fileInSent)), m_owner(currentProcessOwner()) {}

base::Result<void> OutboxRunner::fileAccepted(FlushReport& report) {
    if (!m_fileInSent) {
        return base::Ok{};
    }
    auto ids = m_outbox.unfiled();
    if (!ids) {
        return ids.error();
    }
    for (const auto id : *ids) {
        auto mine = m_outbox.claimFiling(id, m_owner, processOwnerAlive);
        if (!mine) {
            return mine.error();
        }
        if (!*mine) {
            continue; // another live process is filing it
        }
        auto message = m_outbox.get(id);
        if (!message) {
            return message.error();
        }
        if (!message->filedInSent()) { // a Bcc copy: the main copy is filed
            if (auto marked = m_outbox.markFiled(id); !marked && marked.error().code != ErrorCode::InvalidArgument) {
                return marked.error();
            }
            continue;
        }
        DeliveryResult r{id, message->messageId, DeliveryOutcome::Sent, false, 0, std::nullopt};
        if (auto filed = m_fileInSent(*message); !filed) {
            r.error = filed.error();
        } else if (auto marked = m_outbox.markFiled(id); marked) {
            r.filed = true;
        } else if (marked.error().code != ErrorCode::InvalidArgument) { // InvalidArgument: another process did it
            return marked.error();
        }
        report.filedLater.push_back(std::move(r));
    }
    return base::Ok{};
}

base::Result<FlushReport> OutboxRunner::flush(const FlushOptions& options) {
    FlushReport report;
    auto recovered = m_outbox.recover(processOwnerAlive);
    if (!recovered) {
        return recovered.error();
    }
    report.recovered = std::move(recovered).value();
    if (auto filed = fileAccepted(report); !filed) {
        return filed.error();
    }
    const bool selected = options.onlyMessage.has_value() || !options.onlyMessages.empty();
    auto due = m_outbox.due(options.force || selected);
    if (!due) {
        return due.error();
    }
    // Group by account, keeping the queue order within each.
    std::map<std::int64_t, std::vector<std::int64_t>> byAccount;
    std::size_t total = 0;
    for (const auto& message : *due) {
        const bool chosen = (options.onlyMessage && *options.onlyMessage == message.id) ||
                            std::find(options.onlyMessages.begin(), options.onlyMessages.end(), message.id) !=
                                options.onlyMessages.end();
        if (selected && !chosen) {
            continue;
        }
        ++total;
        byAccount[message.accountId].push_back(message.id);
    }
    std::size_t index = 0;
    for (const auto& [accountId, ids] : byAccount) {
        if (auto sent = sendAccount(accountId, ids, options, index, total, report); !sent) {
            return sent.error();
        }
    }
    auto held = m_outbox.unconfirmed();
    if (!held) {
        return held.error();
    }
    report.unconfirmed = std::move(held).value();
    return report;
}

namespace {

bool cancelled(const FlushOptions& options) {
    return options.cancel != nullptr && options.cancel->load();
}

} // namespace

base::Result<void> OutboxRunner::sendAccount(std::int64_t accountId, const std::vector<std::int64_t>& ids,
                                             const FlushOptions& options, std::size_t& index, std::size_t total,
                                             FlushReport& report) {
    store::AccountStore accounts(m_db);
    auto account = accounts.findById(accountId);
    if (!account) {
        return account.error(); // the outbox row would have been deleted with its account
    }
    mail::SmtpClient client(account->smtp);
    std::optional<base::Error> connectionError; // once set, the rest of the account waits
    for (const auto id : ids) {
        if (cancelled(options)) {
            return base::makeError(ErrorCode::Cancelled, "outbox flush cancelled");
        }
        auto claimed = m_outbox.claim(id, m_owner);
        if (!claimed) {
            return claimed.error();
        }
        auto message = m_outbox.get(id);
        if (!message) {
            return message.error();
        }
        DeliveryResult r{id, message->messageId, DeliveryOutcome::NotClaimed, false, 0, std::nullopt};
        if (!*claimed) {
            report.results.push_back(std::move(r));
            continue;
        }
        if (options.progress) {
            options.progress(index, total, message->messageId);
        }
        ++index;
        bool endOfDataSent = false;
        base::Result<void> sent = base::Ok{};
        if (connectionError) {
            sent = *connectionError;
        } else {
            mail::SubmissionSource source(message->raw);
            mail::SmtpSubmission submission{message->envelopeFrom, &message->envelopeTo, &source,
                                            [&]() -> base::Result<void> {
                                                auto marked = m_outbox.markDataComplete(id);
                                                endOfDataSent = marked.ok(); // else curl aborts first
                                                return marked;
                                            }};
            sent = client.send(submission);
        }
        if (auto recorded = record(*message, sent, endOfDataSent, client.lastRefusal(), r); !recorded) {
            return recorded.error();
        }
        if (!sent && connectionWide(sent.error().code)) {
            connectionError = sent.error();
        }
        report.results.push_back(std::move(r));
    }
    return base::Ok{};
}

base::Result<void> OutboxRunner::record(const store::OutboxMessage& message, const base::Result<void>& sent,
                                        bool endOfDataSent, const std::string& lastRefusal, DeliveryResult& r) {
    const auto id = message.id;
    if (sent) {
        if (auto marked = m_outbox.markSent(id); !marked) {
            return marked;
        }
        r.outcome = DeliveryOutcome::Sent;
        if (!message.filedInSent()) { // a Bcc copy: only the main copy goes to Sent
            return m_outbox.markFiled(id);
        }
        if (m_fileInSent) {
            if (auto filed = m_fileInSent(message); !filed) {
                r.error = filed.error();
            } else if (auto done = m_outbox.markFiled(id); !done) {
                return done;
            } else {
                r.filed = true;
            }
        }
        return base::Ok{};
    }
    r.error = sent.error();
    if (sent.error().code == ErrorCode::PermanentFailure) {
        r.outcome = DeliveryOutcome::Failed;
        return m_outbox.fail(id, sent.error().detail);
    }
    // After the end of data, only a 4xx/5xx reply proves the server did not take the message;
    // without one it probably has it, so it is held for the user instead of sent again.
    const bool definiteRefusal = !lastRefusal.empty();
    if (endOfDataSent && !definiteRefusal) {
        r.outcome = DeliveryOutcome::Unconfirmed;
        return m_outbox.holdUnconfirmed(id, sent.error().detail);
    }
    r.outcome = DeliveryOutcome::RetryLater;
    if (auto retried = m_outbox.retryLater(id, sent.error().detail); !retried) {
        return retried;
    }
    auto after = m_outbox.get(id);
    if (!after) {
        return after.error();
    }
    r.nextAttempt = after->nextAttempt;
    return base::Ok{};
}

} // namespace sealpost::engine
