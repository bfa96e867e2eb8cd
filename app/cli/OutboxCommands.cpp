#include "OutboxCommands.h"

#include "Args.h"
#include "Commands.h"
#include "Interrupt.h"
#include "Io.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "base/Clock.h"
#include "engine/OutboxRunner.h"
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

} // namespace

json outboxMessageJson(const store::OutboxMessage& message) {
    return messageJson(message);
}

base::Result<store::Account> accountForSending(store::Database& db, const std::optional<std::string>& named,
                                               const std::string& from) {
    return chooseAccount(db, named, from);
}

int sendOutboxMessages(store::Database& db, const base::Clock& clock, const std::vector<std::int64_t>& ids, bool asJson,
                       const std::string& command, const json& head) {
    return sendNow(db, clock, ids, asJson, command, head);
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
