#include "MailCommands.h"

#include "Args.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "Interrupt.h"
#include "ReportJson.h"
#include "engine/Harvester.h"
#include "engine/MailSync.h"
#include "engine/ProfileMaterial.h"
#include "smime/MessageOpener.h"
#include "store/AccountStore.h"
#include "store/MessageCache.h"

#include <atomic>
#include <charconv>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

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

int fail(std::string_view command, const base::Error& e) {
    if (e.code == base::ErrorCode::Cancelled) {
        std::cerr << "sealpost-cli " << command << ": interrupted; what was fetched is kept\n";
        return kExitInterrupted;
    }
    return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail, serverExitCode(e.code));
}

base::Result<store::Account> chooseAccount(store::Database& db, const Args& args) {
    store::AccountStore accounts(db);
    if (auto address = args.value("--account")) {
        return accounts.find(*address);
    }
    auto all = accounts.list();
    if (!all) {
        return all.error();
    }
    if (all->empty()) {
        return base::makeError(base::ErrorCode::NotFound, "the profile has no mail account");
    }
    if (all->size() > 1) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "the profile has several accounts: name one with --account");
    }
    return std::move(all->front());
}

// What opening a fetched message found, short enough to keep with it; signed mail also teaches
// the harvester.
class Inspector {
public:
    Inspector(store::Database& db, engine::ProfileMaterial material)
        : m_material(std::move(material)),
          m_harvester(db, m_clock,
                      {.identities = m_material.identities, .trustAnchors = m_material.trustAnchors, .limits = {}}) {}

    base::Result<std::string> operator()(std::string&& raw) {
        nlohmann::ordered_json j;
        smime::OpenOptions options;
        options.identities = m_material.identities;
        options.trustAnchors = m_material.trustAnchors;
        options.at = m_clock.now();
        auto opened = smime::openMessage(std::string_view(raw), options);
        if (opened) {
            const nlohmann::ordered_json report = reportToJson(opened->report);
            for (const char* key : {"encryption", "signature", "signer_matches_from", "covers_whole_message"}) {
                if (report.contains(key)) {
                    j[key] = report[key];
                }
            }
            j["warnings"] = report.value("warnings", nlohmann::ordered_json::array());
        } else {
            j["error"] = std::string(base::errorCodeName(opened.error().code));
        }
        auto harvest = m_harvester.harvest(std::move(raw));
        if (!harvest) {
            return harvest.error();
        }
        j["harvest"] = std::string(engine::harvestVerdictName(harvest->verdict));
        j["learned"] = harvest->learned.size();
        return j.dump();
    }

private:
    base::SystemClock m_clock;
    engine::ProfileMaterial m_material;
    engine::Harvester m_harvester;
};

std::optional<std::uint64_t> parseUid(const std::string& s) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || v == 0) {
        return std::nullopt;
    }
    return v;
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
        return fail("sync", db.error());
    }
    auto account = chooseAccount(*db, *args);
    if (!account) {
        return fail("sync", account.error());
    }
    engine::SyncOptions options;
    options.cancel = &interruptFlag();
    options.fetchBodies = !args->has("--headers-only");
    std::unique_ptr<Inspector> inspector;
    if (options.fetchBodies) {
        auto material = engine::loadProfileMaterial(*db, engine::SystemAnchors::Include);
        if (!material) {
            return fail("sync", material.error());
        }
        inspector = std::make_unique<Inspector>(*db, std::move(material).value());
        options.inspect = [&inspector](std::string&& raw) { return (*inspector)(std::move(raw)); };
    }
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    if (terminal && !args->has("--quiet")) {
        options.progress = [](const engine::SyncProgress& p) {
            std::cerr << "\rsync " << p.folder << ": " << p.phase << " " << p.done << "/" << p.total << "      "
                      << std::flush;
        };
    }
    store::MessageCache cache(*db);
    mail::ImapClient client(account->imap);
    client.setCancelFlag(&interruptFlag());
    auto results = [&] {
        const InterruptGuard interrupts;
        return engine::syncAccount(client, *db, cache, account->id, args->value("--folder").value_or(""), options);
    }();
    if (options.progress) {
        std::cerr << "\r\033[K" << std::flush;
    }
    if (!results) {
        return fail("sync", results.error());
    }
    for (const auto& r : *results) {
        std::cout << r.folder << ": " << r.exists << " messages, " << r.added << " new, " << r.flagsUpdated
                  << " flags changed, " << r.expunged << " removed";
        if (options.fetchBodies) {
            std::cout << ", " << r.bodiesFetched << " bodies fetched";
        }
        if (r.uidValidityChanged) {
            std::cout << " (the server renumbered the folder: fetched again)";
        }
        std::cout << "\n";
    }
    // What the sync harvested goes on to the directory, as a mail client does in the background.
    if (auto published = publishDue(*db, "sync"); !published) {
        return fail("sync", published.error());
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
        return fail("list", db.error());
    }
    auto account = chooseAccount(*db, *args);
    if (!account) {
        return fail("list", account.error());
    }
    store::MessageCache cache(*db);
    const bool json = args->has("--json");
    if (args->has("--folders")) {
        auto folders = cache.folders(account->id);
        if (!folders) {
            return fail("list", folders.error());
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
        return fail("list", messages.error());
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
        return fail("show", db.error());
    }
    auto account = chooseAccount(*db, *args);
    if (!account) {
        return fail("show", account.error());
    }
    store::MessageCache cache(*db);
    const std::string folderName = args->value("--folder").value_or("INBOX");
    auto folder = cache.folder(account->id, folderName);
    if (!folder) {
        if (folder.error().code != base::ErrorCode::NotFound) {
            return fail("show", folder.error());
        }
        auto id = cache.upsertFolder(account->id, {folderName, "", folderName == "INBOX" ? "inbox" : "", true});
        if (!id) {
            return fail("show", id.error());
        }
        folder = cache.folder(account->id, folderName);
        if (!folder) {
            return fail("show", folder.error());
        }
    }
    auto cached = cache.body(folder->id, *uid);
    std::string raw;
    if (cached && cached->has_value()) {
        raw = std::move(**cached);
    } else {
        auto material = engine::loadProfileMaterial(*db, engine::SystemAnchors::Include);
        if (!material) {
            return fail("show", material.error());
        }
        Inspector inspector(*db, std::move(material).value());
        engine::SyncOptions options;
        options.inspect = [&inspector](std::string&& m) { return inspector(std::move(m)); };
        mail::ImapClient client(account->imap);
        auto fetched = engine::fetchBody(client, cache, *folder, *uid, options);
        if (!fetched) {
            return fail("show", fetched.error());
        }
        raw = std::move(fetched).value();
    }
    if (args->has("--json")) {
        auto m = cache.message(folder->id, *uid);
        if (!m) {
            return fail("show", m.error());
        }
        nlohmann::ordered_json j{{"uid", m->uid},
                                 {"folder", folder->name},
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
