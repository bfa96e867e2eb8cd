#include "ProfileCommands.h"

#include "Args.h"
#include "Commands.h"
#include "KeyMaterial.h"
#include "store/Database.h"
#include "store/TrustStore.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

const char* const kProfileHelp = R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] profile init|passwd
  init                       create a new encrypted profile (fails when one exists)
  passwd [--new-passphrase-file F]   re-encrypt the profile under a new passphrase
The profile is DIR/profile.db (default DIR: $SEALPOST_PROFILE, else $XDG_DATA_HOME/sealpost, else
~/.local/share/sealpost). The passphrase comes from --passphrase-file, $SEALPOST_PASSPHRASE, or a prompt.
)";

const char* const kTrustHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] trust add CA.pem|list [--json]|remove FINGERPRINT
The profile's own trust anchors (roots or pinned intermediates), used by open in profile mode.
)";

int fail(const std::string& command, const std::string& message, int code = kExitUsage) {
    std::cerr << "sealpost-cli " << command << ": " << message << "\n";
    return code;
}

int fail(const std::string& command, const base::Error& e) {
    return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail);
}

base::Result<store::Database> openProfile(const GlobalOptions& global, store::OpenMode mode, bool confirm) {
    auto dir = profileDirectory(global);
    if (!dir) {
        return dir.error();
    }
    auto passphrase = profilePassphrase(global, confirm);
    if (!passphrase) {
        return passphrase.error();
    }
    const auto file = profileDatabase(*dir);
    auto db = store::Database::open(file, *passphrase, mode);
    if (!db) {
        return db.error(); // its detail names the file
    }
    return db;
}

int profileInit(const GlobalOptions& global) {
    auto dir = profileDirectory(global);
    if (!dir) {
        return fail("profile init", dir.error());
    }
    std::error_code ec;
    if (std::filesystem::exists(profileDatabase(*dir), ec)) {
        return fail("profile init", profileDatabase(*dir).string() + " already exists");
    }
    std::filesystem::create_directories(*dir, ec);
    std::filesystem::permissions(*dir, std::filesystem::perms::owner_all, ec);
    auto db = openProfile(global, store::OpenMode::CreateIfMissing, true);
    if (!db) {
        return fail("profile init", db.error());
    }
    // The content is encrypted, but who owns a profile is nobody else's business either.
    std::filesystem::permissions(profileDatabase(*dir),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::cout << "created " << profileDatabase(*dir).string() << "\n";
    return kExitOk;
}

int profilePasswd(const std::vector<std::string>& argv, const GlobalOptions& global) {
    std::string error;
    auto args = Args::parse(argv, {"--new-passphrase-file"}, {}, error);
    if (!args) {
        return fail("profile passwd", error);
    }
    auto db = openProfile(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("profile passwd", db.error());
    }
    auto fresh = passphraseFrom(args->value("--new-passphrase-file"), "New profile passphrase: ", true);
    if (!fresh) {
        return fail("profile passwd", fresh.error());
    }
    if (auto done = db->rekey(*fresh); !done) {
        return fail("profile passwd", done.error());
    }
    std::cout << "passphrase changed\n";
    return kExitOk;
}

} // namespace

int runProfile(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kProfileHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "init" && args.size() == 1) {
        return profileInit(global);
    }
    if (args[0] == "passwd") {
        return profilePasswd({args.begin() + 1, args.end()}, global);
    }
    return fail("profile", "unknown subcommand (see --help)");
}

int runTrust(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kTrustHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[0];
    if (sub != "add" && sub != "list" && sub != "remove") {
        return fail("trust", "unknown subcommand " + sub + " (see --help)");
    }
    const bool json = sub == "list" && args.size() == 2 && args[1] == "--json";
    if ((sub == "list" && args.size() != 1 && !json) || (sub != "list" && args.size() != 2)) {
        return fail("trust " + sub, "wrong arguments (see --help)");
    }
    auto db = openProfile(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("trust " + sub, db.error());
    }
    store::TrustStore trust(*db);
    if (sub == "add") {
        auto certs = loadCertificates(args[1]);
        if (!certs) {
            return fail("trust add", certs.error().detail);
        }
        for (const auto& cert : *certs) {
            auto added = trust.add(cert);
            if (!added) {
                return fail("trust add", added.error());
            }
            std::cout << (*added ? "added " : "already trusted ") << cert.sha256Fingerprint() << " " << cert.subject()
                      << "\n";
        }
        return kExitOk;
    }
    if (sub == "remove") {
        auto removed = trust.remove(args[1]);
        if (!removed) {
            return fail("trust remove", removed.error());
        }
        if (!*removed) {
            return fail("trust remove", "no trust anchor with fingerprint " + args[1]);
        }
        std::cout << "removed " << args[1] << "\n";
        return kExitOk;
    }
    auto anchors = trust.list();
    if (!anchors) {
        return fail("trust list", anchors.error());
    }
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& a : *anchors) {
        if (json) {
            out.push_back({{"fingerprint_sha256", a.sha256Fingerprint()}, {"subject", a.subject()}});
        } else {
            std::cout << a.sha256Fingerprint() << " " << a.subject() << "\n";
        }
    }
    if (json) {
        std::cout << out.dump(2) << "\n";
    }
    return kExitOk;
}

} // namespace sealpost::cli
