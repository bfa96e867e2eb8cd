#include "MailCommands.h"

#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "MailSession.h"
#include "store/MessageCache.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

const char* const kSyncHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] sync [--account ADDR] [--folder NAME] [--headers-only]
Brings the offline copy of the account's mailboxes up to date: new messages, flag changes and
deleted messages. Every message fetched whole is opened (decrypted, verified) and signed mail
teaches the profile its correspondents' certificates (as harvest does). Every batch is saved as
it arrives, so an interrupted sync keeps what it fetched and the next one continues.
  --account ADDR  the account (needed when the profile has several)
  --folder NAME   only this folder (the server's name, e.g. INBOX)
  --headers-only  fetch headers and flags only (quick); bodies come later, with a plain sync or
                  when a message is shown
  --quiet         no progress on standard error
Exit codes: 0 done, 2 bad arguments or profile, 3 login refused, 4 server unreachable,
5 certificate not trusted, 6 other server error, 7 no such account or folder, 130 interrupted.
)";

const char* const kListHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] list [--account ADDR] [--folder NAME] [--json]
Lists the messages of a folder (default INBOX) from the offline copy; needs no connection.
  --account ADDR  the account (needed when the profile has several)
  --folder NAME   the folder (default INBOX)
  --folders       list the cached folders instead of messages
  --json          JSON on standard output
)";

const char* const kShowHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] show UID [--account ADDR] [--folder NAME] [--json]
Writes the raw message with this UID to standard output, from the offline copy; a message whose
body has not been fetched yet is fetched (and kept).
  --account ADDR  the account (needed when the profile has several)
  --folder NAME   the folder (default INBOX)
  --json          the message's summary and what opening it found, instead of the message
)";

int fail(std::string_view command, const std::string& message, int code = kExitUsage) {
    std::cerr << "sealpost-cli " << command << ": " << message << "\n";
    return code;
}

} // namespace

int runSync(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << kSyncHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {"--account", "--folder"}, {"--headers-only", "--quiet"}, error);
    if (!args) {
        return fail("sync", error + " (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("sync", db.error());
    }
    auto account = chooseMailAccount(*db, *args);
    if (!account) {
        return failMail("sync", account.error());
    }
    const bool fetchBodies = !args->has("--headers-only");
    auto results = syncMail(*db, *account,
                            {.onlyFolder = args->value("--folder").value_or(""),
                             .fetchBodies = fetchBodies,
                             .progress = !args->has("--quiet")});
    if (!results) {
        return failMail("sync", results.error());
    }
    for (const auto& r : *results) {
        std::cout << r.folder << ": " << r.exists << " messages, " << r.added << " new, " << r.flagsUpdated
                  << " flags changed, " << r.expunged << " removed";
        if (fetchBodies) {
            std::cout << ", " << r.bodiesFetched << " bodies fetched";
        }
        if (r.uidValidityChanged) {
            std::cout << " (the server renumbered the folder: fetched again)";
        }
        std::cout << "\n";
    }
    // What the sync harvested goes on to the directory, as a mail client does in the background.
    if (auto published = publishDue(*db, "sync"); !published) {
        return failMail("sync", published.error());
    }
    return kExitOk;
}

int runList(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << kListHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {"--account", "--folder"}, {"--json", "--folders"}, error);
    if (!args) {
        return fail("list", error + " (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("list", db.error());
    }
    auto account = chooseMailAccount(*db, *args);
    if (!account) {
        return failMail("list", account.error());
    }
    store::MessageCache cache(*db);
    const bool json = args->has("--json");
    if (args->has("--folders")) {
        auto folders = cache.folders(account->id);
        if (!folders) {
            return failMail("list", folders.error());
        }
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& f : *folders) {
            if (json) {
                out.push_back({{"name", f.name},
                               {"delimiter", f.delimiter},
                               {"special_use", f.specialUse.empty() ? nlohmann::ordered_json(nullptr)
                                                                    : nlohmann::ordered_json(f.specialUse)},
                               {"uidvalidity", f.uidValidity},
                               {"uidnext", f.uidNext},
                               {"last_sync", f.lastSync}});
            } else {
                std::cout << f.name << (f.specialUse.empty() ? "" : "\t(" + f.specialUse + ")") << "\n";
            }
        }
        if (json) {
            std::cout << out.dump(2) << "\n";
        }
        return kExitOk;
    }
    auto folder = cache.folder(account->id, args->value("--folder").value_or("INBOX"));
    if (!folder) {
        return fail("list", folder.error().detail + " (run sync first)", kExitUsage);
    }
    auto messages = cache.list(folder->id);
    if (!messages) {
        return failMail("list", messages.error());
    }
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& m : *messages) {
        if (json) {
            out.push_back({{"uid", m.uid},
                           {"flags", m.flags},
                           {"internal_date", m.internalDate},
                           {"size", m.size},
                           {"message_id", m.summary.messageId},
                           {"from", m.summary.from},
                           {"to", m.summary.to},
                           {"subject", m.summary.subject},
                           {"date", m.summary.date},
                           {"body_cached", m.hasBody}});
        } else {
            std::cout << m.uid << "\t" << (m.flags.empty() ? "-" : m.flags) << "\t" << m.summary.date << "\t"
                      << m.summary.from << "\t" << m.summary.subject << "\n";
        }
    }
    if (json) {
        std::cout << out.dump(2) << "\n";
    }
    return kExitOk;
}

int runShow(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << kShowHelp;
        return argv.empty() ? kExitUsage : kExitOk;
    }
    const auto uid = parseUid(argv[0]);
    if (!uid) {
        return fail("show", "not a UID: " + argv[0] + " (see --help)");
    }
    std::string error;
    auto args = Args::parse({argv.begin() + 1, argv.end()}, {"--account", "--folder"}, {"--json"}, error);
    if (!args) {
        return fail("show", error + " (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return failMail("show", db.error());
    }
    auto account = chooseMailAccount(*db, *args);
    if (!account) {
        return failMail("show", account.error());
    }
    auto loaded = loadMailMessage(*db, *account, args->value("--folder").value_or("INBOX"), *uid);
    if (!loaded) {
        return failMail("show", loaded.error());
    }
    const auto& folder = loaded->folder;
    const std::string& raw = loaded->raw;
    store::MessageCache cache(*db);
    if (args->has("--json")) {
        auto m = cache.message(folder.id, *uid);
        if (!m) {
            return failMail("show", m.error());
        }
        nlohmann::ordered_json j{{"uid", m->uid},
                                 {"folder", folder.name},
                                 {"flags", m->flags},
                                 {"size", m->size},
                                 {"message_id", m->summary.messageId},
                                 {"from", m->summary.from},
                                 {"to", m->summary.to},
                                 {"subject", m->summary.subject},
                                 {"date", m->summary.date}};
        j["security"] = m->security.empty() ? nlohmann::ordered_json(nullptr)
                                            : nlohmann::ordered_json::parse(m->security, nullptr, false);
        std::cout << j.dump(2) << "\n";
        return kExitOk;
    }
    std::cout.write(raw.data(), static_cast<std::streamsize>(raw.size()));
    std::cout.flush();
    return std::cout ? kExitOk : fail("show", "cannot write to standard output");
}

} // namespace sealpost::cli
