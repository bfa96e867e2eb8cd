#include "MailSession.h"

#include "Commands.h"
#include "Interrupt.h"
#include "ReportJson.h"
#include "engine/Harvester.h"
#include "engine/ProfileMaterial.h"
#include "smime/MessageOpener.h"

#include <charconv>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sealpost::cli {

namespace {

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
            if (!opened->report.signers.empty() && !opened->report.signers.front().emails.empty()) {
                j["signer"] = opened->report.signers.front().emails.front();
            }
            // The protected fields, so that listings show the real subject of encrypted mail.
            const auto& ph = report["protected_headers"];
            for (const auto& [key, name] : {std::pair{"subject", "Subject"}, std::pair{"from", "From"}}) {
                if (ph.is_object() && ph.contains(name)) {
                    j[key] = ph[name];
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

base::Result<std::unique_ptr<Inspector>> makeInspector(store::Database& db) {
    auto material = engine::loadProfileMaterial(db, engine::SystemAnchors::Include);
    if (!material) {
        return material.error();
    }
    return std::make_unique<Inspector>(db, std::move(material).value());
}

} // namespace

base::Result<store::Account> chooseMailAccount(store::Database& db, const Args& args) {
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

int failMail(std::string_view command, const base::Error& e) {
    if (e.code == base::ErrorCode::Cancelled) {
        std::cerr << "sealpost-cli " << command << ": interrupted; what was fetched is kept\n";
        return kExitInterrupted;
    }
    std::cerr << "sealpost-cli " << command << ": " << base::errorCodeName(e.code) << ": " << e.detail << "\n";
    return serverExitCode(e.code);
}

std::optional<std::uint64_t> parseUid(const std::string& text) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0) {
        return std::nullopt;
    }
    return v;
}

base::Result<std::vector<engine::SyncResult>> syncMail(store::Database& db, const store::Account& account,
                                                       const MailSyncRequest& request) {
    engine::SyncOptions options;
    options.cancel = &interruptFlag();
    options.fetchBodies = request.fetchBodies;
    std::unique_ptr<Inspector> inspector;
    if (options.fetchBodies) {
        auto made = makeInspector(db);
        if (!made) {
            return made.error();
        }
        inspector = std::move(made).value();
        options.inspect = [&inspector](std::string&& raw) { return (*inspector)(std::move(raw)); };
    }
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    if (terminal && request.progress) {
        options.progress = [](const engine::SyncProgress& p) {
            std::cerr << "\rsync " << p.folder << ": " << p.phase << " " << p.done << "/" << p.total << "      "
                      << std::flush;
        };
    }
    store::MessageCache cache(db);
    mail::ImapClient client(account.imap);
    client.setCancelFlag(&interruptFlag());
    auto results = [&] {
        const InterruptGuard interrupts;
        return engine::syncAccount(client, db, cache, account.id, request.onlyFolder, options);
    }();
    if (options.progress) {
        std::cerr << "\r\033[K" << std::flush;
    }
    return results;
}

base::Result<CachedRawMessage> loadMailMessage(store::Database& db, const store::Account& account,
                                               const std::string& folderName, std::uint64_t uid) {
    store::MessageCache cache(db);
    auto folder = cache.folder(account.id, folderName);
    if (!folder) {
        if (folder.error().code != base::ErrorCode::NotFound) {
            return folder.error();
        }
        auto id = cache.upsertFolder(account.id, {folderName, "", folderName == "INBOX" ? "inbox" : "", true});
        if (!id) {
            return id.error();
        }
        folder = cache.folder(account.id, folderName);
        if (!folder) {
            return folder.error();
        }
    }
    auto cached = cache.body(folder->id, uid);
    if (cached && cached->has_value()) {
        return CachedRawMessage{std::move(folder).value(), std::move(**cached)};
    }
    auto inspector = makeInspector(db);
    if (!inspector) {
        return inspector.error();
    }
    engine::SyncOptions options;
    options.inspect = [&inspector](std::string&& m) { return (**inspector)(std::move(m)); };
    mail::ImapClient client(account.imap);
    auto fetched = engine::fetchBody(client, cache, *folder, uid, options);
    if (!fetched) {
        return fetched.error();
    }
    return CachedRawMessage{std::move(folder).value(), std::move(fetched).value()};
}

} // namespace sealpost::cli
