#include "ReceiveCommands.h"

#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "Io.h"
#include "MailSession.h"
#include "OutboxCommands.h"
#include "ReadableMessage.h"
#include "ReportJson.h"
#include "engine/ProfileMaterial.h"
#include "engine/Send.h"
#include "mime/Address.h"
#include "mime/Ascii.h"
#include "mime/EncodedWords.h"
#include "store/AccountStore.h"
#include "store/MessageCache.h"

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;

const char* const kReceiveHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] receive [--account ADDR] [--json] [--quiet]
Fetches new mail of every account (or one): syncs the folders with whole messages, opens
(decrypts, verifies) and harvests every new message, then publishes the certificates learned to
the directory when one is set. Prints one line per new message: folder, UID, From, Subject (the
protected one), and its security status; then a summary per account.
  --account ADDR  only this account
  --json          JSON on standard output (see docs/cli.md)
  --quiet         no progress on standard error
Exit codes as for sync: 0 done, 2 bad arguments or profile, 3 login refused, 4 server
unreachable, 5 certificate not trusted, 6 other server error, 7 no such account or folder,
130 interrupted. With several accounts the others are still received; the first failure's code.
)";

const char* const kReadHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] read UID [--account ADDR] [--folder NAME] [--json]
Shows one message from the offline copy (fetched when its body is not there yet), opened with the
profile's keys and trust anchors: its security status first ("signed" only when the signature is
valid, covers the whole message and the signer is the sender), then the header fields (the
protected ones), the text and the attachments (name and size).
  --account ADDR  the account (needed when the profile has several)
  --folder NAME   the folder (default INBOX)
  --json          JSON on standard output (see docs/cli.md)
Exit codes: 0 shown (whatever its security status), 1 encrypted to a key the profile does not have,
2 bad arguments, 3-7 as for show.
)";

const char* const kReplyHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] reply UID [--account ADDR] [--folder NAME]
                    (--body TEXT | --body-file F) [--quote] [--plain] [--dry-run] [--json]
Answers a message of the offline copy: to its Reply-To (else From), Subject "Re: ...", threaded
(In-Reply-To, References). Sent as send does (docs/sending.md): signed, encrypted when every
recipient's key is known. A reply to encrypted mail that cannot be encrypted is refused until
--plain is given, and then the quote is left out.
  --account ADDR    the account (needed when the profile has several)
  --folder NAME     the folder of the message (default INBOX)
  --body TEXT       the text of the reply
  --body-file F     the text of the reply from a file ("-": standard input)
  --quote           quote the original's text below the reply ("> " lines)
  --plain           do not encrypt (still signed)
  --dry-run         print the plan only; nothing is sent
  --json            JSON on standard output, as send --json
Exit codes as for send: 0 sent (or --dry-run), 12 refused as planned (nothing queued), 8 refused
by the server, 9 unconfirmed, 3-6 queued for a retry, 2 bad arguments, 7 no such message.
)";

int usage(std::string_view command, const std::string& message) {
    std::cerr << "sealpost-cli " << command << ": " << message << " (see --help)\n";
    return kExitUsage;
}

// Per cached folder: its UIDVALIDITY and the UIDs known before a sync, to tell what is new.
using KnownUids = std::map<std::string, std::pair<std::uint64_t, std::set<std::uint64_t>>>;

base::Result<KnownUids> knownUids(store::MessageCache& cache, std::int64_t accountId) {
    auto folders = cache.folders(accountId);
    if (!folders) {
        return folders.error();
    }
    KnownUids known;
    for (const auto& f : *folders) {
        auto messages = cache.list(f.id);
        if (!messages) {
            return messages.error();
        }
        auto& entry = known[f.name];
        entry.first = f.uidValidity;
        for (const auto& m : *messages) {
            entry.second.insert(m.uid);
        }
    }
    return known;
}

json syncResultJson(const engine::SyncResult& r) {
    return {{"folder", r.folder},
            {"exists", r.exists},
            {"added", r.added},
            {"flags_updated", r.flagsUpdated},
            {"expunged", r.expunged},
            {"bodies_fetched", r.bodiesFetched},
            {"uid_validity_changed", r.uidValidityChanged}};
}

// One new message, from the summary sync stored when it opened it.
json newMessageJson(const std::string& folder, const store::CachedMessage& m) {
    const json s = m.security.empty() ? json::object() : json::parse(m.security, nullptr, false);
    const bool ok = s.is_object();
    auto field = [&](const char* key, const json& fallback) -> json {
        return ok && s.contains(key) ? s[key] : fallback;
    };
    // Shown to people: encoded words decoded.
    auto shown = [&](const char* key, const std::string& fallback) -> json {
        const json v = field(key, fallback);
        return v.is_string() ? json(mime::decodeEncodedWords(v.get<std::string>())) : v;
    };
    return {{"folder", folder},
            {"uid", m.uid},
            {"from", shown("from", m.summary.from)},
            {"subject", shown("subject", m.summary.subject)},
            {"encryption", field("encryption", nullptr)},
            {"signature", field("signature", nullptr)},
            {"signer", field("signer", nullptr)},
            {"signer_matches_from", field("signer_matches_from", nullptr)},
            {"covers_whole_message", field("covers_whole_message", false)},
            {"error", field("error", nullptr)},
            {"learned", field("learned", 0)}};
}

std::string newMessageWords(const json& n) {
    if (!n["error"].is_null()) {
        return "could not be opened: " + n["error"].get<std::string>();
    }
    if (n["encryption"].is_null()) {
        return "not opened";
    }
    SecurityFacts f;
    f.encryption = n["encryption"].get<std::string>();
    f.signature = n["signature"].is_string() ? n["signature"].get<std::string>() : "none";
    if (n["signer_matches_from"].is_boolean()) {
        f.signerMatchesFrom = n["signer_matches_from"].get<bool>();
    }
    f.coversWholeMessage = n["covers_whole_message"].is_boolean() && n["covers_whole_message"].get<bool>();
    f.signer = n["signer"].is_string() ? n["signer"].get<std::string>() : "";
    return securityWords(f);
}

// Receives one account into `out` (its part of the --json output); returns the exit code.
int receiveAccount(store::Database& db, const store::Account& account, bool progress, json& out) {
    out = {{"address", account.address}};
    store::MessageCache cache(db);
    auto before = knownUids(cache, account.id);
    if (!before) {
        out["error"] = before.error().detail;
        return failMail("receive", before.error());
    }
    auto results = syncMail(db, account, {.onlyFolder = "", .fetchBodies = true, .progress = progress});
    if (!results) {
        out["error"] = std::string(base::errorCodeName(results.error().code)) + ": " + results.error().detail;
        return failMail("receive", results.error());
    }
    json folders = json::array();
    json fresh = json::array();
    std::uint64_t learned = 0;
    for (const auto& r : *results) {
        folders.push_back(syncResultJson(r));
        auto folder = cache.folder(account.id, r.folder);
        auto messages =
            folder ? cache.list(folder->id) : base::Result<std::vector<store::CachedMessage>>(folder.error());
        if (!messages) {
            out["error"] = messages.error().detail;
            return failMail("receive", messages.error());
        }
        const auto known = before->find(r.folder);
        const bool renumbered = known == before->end() || known->second.first != folder->uidValidity;
        for (const auto& m : *messages) {
            if (renumbered || known->second.second.count(m.uid) == 0) {
                json n = newMessageJson(r.folder, m);
                learned += n["learned"].get<std::uint64_t>();
                fresh.push_back(std::move(n));
            }
        }
    }
    out["folders"] = std::move(folders);
    out["new"] = std::move(fresh);
    out["certificates_learned"] = learned;
    // What was harvested goes on to the directory, as sync does.
    auto published = publishDue(db, "receive", true);
    if (!published) {
        out["error"] = published.error().detail;
        return failMail("receive", published.error());
    }
    out["published"] = *published;
    return kExitOk;
}

void printReceipt(const json& a) {
    if (!a.contains("new")) {
        return;
    }
    for (const auto& n : a["new"]) {
        std::cout << n["folder"].get<std::string>() << " " << n["uid"].get<std::uint64_t>() << "\t"
                  << n["from"].get<std::string>() << "\t" << n["subject"].get<std::string>() << "\t"
                  << newMessageWords(n) << "\n";
    }
    std::cout << a["address"].get<std::string>() << ": " << a["new"].size() << " new, "
              << a["certificates_learned"].get<std::uint64_t>() << " certificates learned, "
              << a.value("published", std::size_t{0}) << " published\n";
}

struct ReplyRequest {
    std::string body;
    bool quote = false;
};

// The reply to `original`: to its Reply-To, else its From; "Re: " once; threaded; marked as a
// reply to encrypted mail when the original was decrypted.
base::Result<engine::Draft> replyDraft(const store::Account& account, const ReadableMessage& original,
                                       const ReplyRequest& request) {
    engine::Draft draft;
    draft.from = account.address;
    draft.fromName = account.displayName;
    const std::string replyTo = original.header("Reply-To");
    draft.to = mime::parseAddressList(replyTo.empty() ? original.header("From") : replyTo);
    if (draft.to.empty()) {
        return base::makeError(base::ErrorCode::MalformedInput, "the message names no address to reply to");
    }
    const std::string subject = mime::decodeEncodedWords(original.header("Subject")); // composing encodes it again
    const bool hasRe = subject.size() >= 3 && mime::equalsIgnoreCase(std::string_view(subject).substr(0, 3), "re:");
    draft.subject = hasRe ? subject : "Re: " + subject;
    draft.body = request.body;
    engine::ReplyContext reply;
    reply.inReplyTo = original.header("Message-ID");
    std::istringstream references(original.header("References"));
    for (std::string id; references >> id;) {
        reply.references.push_back(id);
    }
    if (!reply.inReplyTo.empty()) {
        reply.references.push_back(reply.inReplyTo);
    }
    reply.originalEncrypted = original.report.encryption == smime::EncryptionState::Decrypted;
    if (request.quote) {
        reply.quotedText = original.bodyText;
        reply.originalFrom = original.header("From");
        reply.originalDate = original.header("Date");
    }
    draft.reply = std::move(reply);
    return draft;
}

} // namespace

int runReceive(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << kReceiveHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {"--account"}, {"--json", "--quiet"}, error);
    if (!args) {
        return usage("receive", error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("receive", db.error());
    }
    std::vector<store::Account> accounts;
    if (args->has("--account")) {
        auto one = chooseMailAccount(*db, *args);
        if (!one) {
            return failMail("receive", one.error());
        }
        accounts.push_back(std::move(one).value());
    } else {
        auto all = store::AccountStore(*db).list();
        if (!all) {
            return failMail("receive", all.error());
        }
        if (all->empty()) {
            return failMail("receive", base::makeError(base::ErrorCode::NotFound, "the profile has no mail account"));
        }
        accounts = std::move(all).value();
    }
    const bool asJson = args->has("--json");
    json out = {{"accounts", json::array()}};
    int exitCode = kExitOk;
    for (const auto& account : accounts) {
        json receipt;
        const int code = receiveAccount(*db, account, !args->has("--quiet"), receipt);
        if (!asJson) {
            printReceipt(receipt);
        }
        out["accounts"].push_back(std::move(receipt));
        if (exitCode == kExitOk) {
            exitCode = code;
        }
        if (code == kExitInterrupted) {
            break;
        }
    }
    if (asJson) {
        std::cout << out.dump(2) << "\n";
    }
    return exitCode;
}

int runRead(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << kReadHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    const auto uid = parseUid(argv[0]);
    if (!uid) {
        return usage("read", "not a UID: " + argv[0]);
    }
    std::string error;
    auto args = Args::parse({argv.begin() + 1, argv.end()}, {"--account", "--folder"}, {"--json"}, error);
    if (!args) {
        return usage("read", error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("read", db.error());
    }
    auto account = chooseMailAccount(*db, *args);
    if (!account) {
        return failMail("read", account.error());
    }
    auto loaded = loadMailMessage(*db, *account, args->value("--folder").value_or("INBOX"), *uid);
    if (!loaded) {
        return failMail("read", loaded.error());
    }
    auto material = engine::loadProfileMaterial(*db, engine::SystemAnchors::Include);
    if (!material) {
        return failMail("read", material.error());
    }
    auto message = readMessage(std::move(loaded->raw), *material);
    if (!message) {
        std::cerr << "sealpost-cli read: " << base::errorCodeName(message.error().code) << ": "
                  << message.error().detail << "\n";
        return kExitUsage;
    }
    const int exitCode = message->report.encryption == smime::EncryptionState::Failed ? kExitNotDecrypted : kExitOk;
    if (args->has("--json")) {
        json headers = json::object();
        for (const auto& [name, value] : message->headers) {
            headers[name] = mime::decodeEncodedWords(value); // for showing; the message keeps the encoded form
        }
        json attachments = json::array();
        for (const auto& a : message->attachments) {
            attachments.push_back({{"name", a.name}, {"content_type", a.contentType}, {"size", a.size}});
        }
        const json out = {{"uid", *uid},
                          {"folder", loaded->folder.name},
                          {"headers", std::move(headers)},
                          {"body_text", message->bodyText},
                          {"attachments", std::move(attachments)},
                          {"security", reportToJson(message->report)}};
        std::cout << out.dump(2) << "\n";
        return exitCode;
    }
    std::cout << "Security: " << securityWords(securityFacts(message->report)) << "\n";
    for (const auto w : message->report.warnings) {
        std::cout << "Warning: " << smime::warningName(w) << "\n";
    }
    for (const char* name : {"From", "To", "Cc", "Bcc", "Date", "Subject"}) {
        if (const std::string value = message->header(name); !value.empty()) {
            std::cout << name << ": " << mime::decodeEncodedWords(value) << "\n";
        }
    }
    std::cout << "\n" << message->bodyText;
    if (!message->bodyText.empty() && message->bodyText.back() != '\n') {
        std::cout << "\n";
    }
    for (const auto& a : message->attachments) {
        std::cout << "[attachment: " << (a.name.empty() ? "(no name)" : a.name) << ", " << a.contentType << ", "
                  << a.size << " bytes]\n";
    }
    return exitCode;
}

int runReply(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << kReplyHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    const auto uid = parseUid(argv[0]);
    if (!uid) {
        return usage("reply", "not a UID: " + argv[0]);
    }
    std::string error;
    auto args = Args::parse({argv.begin() + 1, argv.end()}, {"--account", "--folder", "--body", "--body-file"},
                            {"--quote", "--plain", "--dry-run", "--json"}, error);
    if (!args) {
        return usage("reply", error);
    }
    if (args->has("--body") == args->has("--body-file")) {
        return usage("reply", "give the text with --body TEXT or --body-file F");
    }
    ReplyRequest request;
    request.quote = args->has("--quote");
    if (auto text = args->value("--body")) {
        request.body = *text;
    } else {
        auto data = readInput(*args->value("--body-file"));
        if (!data) {
            return usage("reply", data.error().detail);
        }
        request.body = std::move(data).value();
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("reply", db.error());
    }
    auto account = chooseMailAccount(*db, *args);
    if (!account) {
        return failMail("reply", account.error());
    }
    auto loaded = loadMailMessage(*db, *account, args->value("--folder").value_or("INBOX"), *uid);
    if (!loaded) {
        return failMail("reply", loaded.error());
    }
    auto material = engine::loadProfileMaterial(*db, engine::SystemAnchors::Include);
    if (!material) {
        return failMail("reply", material.error());
    }
    auto original = readMessage(std::move(loaded->raw), *material);
    if (!original) {
        return failMail("reply", original.error());
    }
    auto draft = replyDraft(*account, *original, request);
    if (!draft) {
        return failMail("reply", draft.error());
    }
    return sendDraft(*db, *args, *draft, "reply");
}

} // namespace sealpost::cli
