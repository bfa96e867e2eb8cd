#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "Interrupt.h"
#include "Io.h"
#include "OutboxCommands.h"
#include "ProfileCommands.h"
#include "base/Clock.h"
#include "engine/Send.h"
#include "mail/Envelope.h"
#include "store/Outbox.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

// `send`: plan, show, build, queue and send one message (docs/sending.md).

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
    auto account = accountForSending(db, opts.value("--account"), from);
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
    // A cached "not in the directory" is asked again: the recipient may have enrolled since.
    const directory::LookupOptions lookupOptions{.refresh = false, .offline = false, .refreshNotFound = true};
    auto plan = engine::planSend(db, clock, draft, *policy, overrides, lookup, lookupOptions);
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
        return sendOutboxMessages(db, clock, ids, asJson, "send", head);
    }
    const store::OutboxMessage& main = copies.front();
    if (asJson) {
        json out = head;
        out["already_queued"] = true;
        out["message"] = outboxMessageJson(main);
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
    return sendDraft(*db, *opts, *draft, command);
}

int sendDraft(store::Database& db, const Args& opts, engine::Draft& draft, const std::string& command) {
    const base::SystemClock clock;
    auto prepared = prepareSend(db, clock, opts, draft);
    if (!prepared) {
        const auto code = prepared.error().code;
        return fail(command, prepared.error().detail,
                    code == base::ErrorCode::InvalidArgument || code == base::ErrorCode::MalformedInput
                        ? kExitUsage
                        : serverExitCode(code));
    }
    const engine::SendPlan& plan = prepared->plan;
    const bool asJson = opts.has("--json");
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
    if (opts.has("--dry-run")) {
        if (asJson) {
            std::cout << head.dump(2) << "\n";
        }
        return kExitOk;
    }
    auto outgoing = engine::buildOutgoing(db, clock, draft, plan);
    if (!outgoing) {
        return fail(command, outgoing.error());
    }
    auto queued = engine::queueOutgoing(db, clock, prepared->accountId, *outgoing);
    if (!queued) {
        return fail(command, queued.error());
    }
    std::vector<std::int64_t> ids;
    for (const auto& q : *queued) {
        ids.push_back(q.id);
    }
    if (std::none_of(queued->begin(), queued->end(), [](const store::QueueOutcome& q) { return q.added; })) {
        return reportQueuedBefore(db, clock, ids, outgoing->messageId, asJson, head);
    }
    return sendOutboxMessages(db, clock, ids, asJson, command, head);
}

} // namespace sealpost::cli
