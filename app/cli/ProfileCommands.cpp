#include "ProfileCommands.h"

#include "Args.h"
#include "CertCommands.h"
#include "Commands.h"
#include "Io.h"
#include "KeyMaterial.h"
#include "Terminal.h"
#include "crypto/Pkcs12.h"
#include "store/Database.h"
#include "store/IdentityStore.h"
#include "store/ProfileCheck.h"
#include "store/TrustStore.h"

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

const char* const kProfileHelp = R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] profile init|passwd|check
  init                       create a new encrypted profile (fails when one exists)
  passwd [--new-passphrase-file F]   re-encrypt the profile under a new passphrase
  check [--json]             verify every page of the profile and print what it holds (row counts
                             and a digest of the content); exit 2 when it is damaged
The profile is DIR/profile.db (default DIR: $SEALPOST_PROFILE, else $XDG_DATA_HOME/sealpost, else
~/.local/share/sealpost). The passphrase comes from --passphrase-file, $SEALPOST_PASSPHRASE, or a prompt.
)";

const char* const kTrustHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] trust add CA.pem|list [--json]|remove FINGERPRINT
The profile's own trust anchors (roots or pinned intermediates), used by open in profile mode.
)";

const char* const kIdentityHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] identity import FILE.p12 --p12-password-file P [--role signing|encryption|both]
       sealpost-cli [--profile DIR] [--passphrase-file F] identity list [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] identity export FINGERPRINT -o OUT.p12 [--p12-password-file P] [--legacy]
Your own keys and certificates. An imported identity becomes current for its address and retires
the ones it replaces; retired keys are kept so old mail stays readable.
export writes the key, certificate and chain as PKCS#12 (mode 0600) under a password from
--p12-password-file or asked twice on the terminal (never empty). FINGERPRINT is the SHA-256
fingerprint identity list prints, or an unambiguous prefix of at least 8 hex digits. The file
uses AES-256-CBC with PBKDF2-HMAC-SHA256 and a SHA-256 MAC; --legacy writes 3DES with a SHA-1
MAC instead, for GnuPG 2.2 (gpgsm) and older Windows.
)";

} // namespace

int fail(const std::string& command, const std::string& message, int code) {
    std::cerr << "sealpost-cli " << command << ": " << message << "\n";
    return code;
}

int fail(const std::string& command, const std::string& message) {
    return fail(command, message, kExitUsage);
}

int fail(const std::string& command, const base::Error& e) {
    return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail);
}

namespace {

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
    auto db = openProfileDatabase(global, store::OpenMode::CreateIfMissing, true);
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
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
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

int identityExport(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "identity export";
    if (rest.empty() || rest[0].rfind('-', 0) == 0) {
        return fail(command, "which identity? give its fingerprint (see --help)");
    }
    std::string error;
    auto opts = Args::parse({rest.begin() + 1, rest.end()}, {"-o", "--p12-password-file"}, {"--legacy"}, error);
    if (!opts) {
        return fail(command, error);
    }
    auto prefix = fingerprintArgument(rest[0], error);
    if (!prefix) {
        return fail(command, error);
    }
    const auto out = opts->value("-o");
    if (!out) {
        return fail(command, "where to? give -o OUT.p12");
    }
    const auto passwordFile = opts->value("--p12-password-file");
    if (!passwordFile && !terminalAvailable()) {
        return fail(command, "no PKCS#12 password: give --p12-password-file P or run on a terminal");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    auto found = store::IdentityStore(*db, clock).withFingerprintPrefix(*prefix);
    if (!found) {
        return fail(command, found.error());
    }
    if (found->empty()) {
        return fail(command, "no identity with fingerprint " + rest[0] + " (see identity list)");
    }
    if (found->size() > 1) {
        return fail(command, "fingerprint prefix " + rest[0] + " is ambiguous (" + std::to_string(found->size()) +
                                 " identities); give more digits");
    }
    const crypto::Identity& identity = found->front().identity;
    auto password = passphraseFrom(passwordFile, "PKCS#12 export password: ", true);
    if (!password) {
        return fail(command, password.error());
    }
    if (password->empty()) {
        return fail(command, "refusing an empty PKCS#12 password: the file would protect the key with nothing");
    }
    const bool legacy = opts->has("--legacy");
    auto der = crypto::writePkcs12(identity, password->view(),
                                   legacy ? crypto::Pkcs12Format::Legacy : crypto::Pkcs12Format::Modern);
    if (!der) {
        return fail(command, der.error());
    }
    OutputFile file;
    if (auto opened = file.openPrivate(*out); !opened) {
        return fail(command, opened.error().detail);
    }
    if (!file.write(*der)) {
        return fail(command, *out + ": write error");
    }
    if (auto committed = file.commit(); !committed) {
        return fail(command, committed.error().detail);
    }
    // With "-o -" the file is standard output, so the note goes to standard error.
    (*out == "-" ? std::cerr : std::cout)
        << "exported " << identity.certificate.sha256Fingerprint() << " " << identity.certificate.subject() << " ("
        << (legacy ? "legacy 3DES/SHA-1" : "AES-256/SHA-256") << " PKCS#12)\n";
    return kExitOk;
}

int profileCheck(const std::vector<std::string>& argv, const GlobalOptions& global) {
    std::string error;
    auto args = Args::parse(argv, {}, {"--json"}, error);
    if (!args) {
        return fail("profile check", error);
    }
    auto dir = profileDirectory(global);
    if (!dir) {
        return fail("profile check", dir.error());
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("profile check", db.error());
    }
    const std::string file = profileDatabase(*dir).string();
    auto report = store::checkProfile(*db);
    if (!report) {
        return fail("profile check", report.error()); // a damaged page: MalformedInput naming the file
    }
    if (args->has("--json")) {
        const nlohmann::ordered_json out = {{"file", file},
                                            {"ok", report->ok()},
                                            {"problems", report->problems},
                                            {"schema_version", report->schemaVersion},
                                            {"identities", report->identities},
                                            {"correspondent_certificates", report->correspondentCertificates},
                                            {"trust_anchors", report->trustAnchors},
                                            {"certificate_events", report->certificateEvents},
                                            {"acme_accounts", report->acmeAccounts},
                                            {"renewal_records", report->renewalRecords},
                                            {"content_sha256", report->contentSha256}};
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << file << ": " << (report->ok() ? "ok" : "DAMAGED") << "\n"
                  << "schema version " << report->schemaVersion << "\n"
                  << "identities " << report->identities << "\n"
                  << "correspondent certificates " << report->correspondentCertificates << "\n"
                  << "trust anchors " << report->trustAnchors << "\n"
                  << "certificate events " << report->certificateEvents << "\n"
                  << "acme accounts " << report->acmeAccounts << "\n"
                  << "renewal records " << report->renewalRecords << "\n"
                  << "content sha256 " << report->contentSha256 << "\n";
    }
    if (!report->ok()) {
        return fail("profile check", "malformed-input: " + file + " is damaged: " + report->problems.front());
    }
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
    if (args[0] == "check") {
        return profileCheck({args.begin() + 1, args.end()}, global);
    }
    return fail("profile", "unknown subcommand (see --help)");
}

int runIdentity(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kIdentityHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[0];
    std::string error;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "import") {
        if (rest.empty()) {
            return fail("identity import", "which PKCS#12 file? (see --help)");
        }
        auto opts = Args::parse({rest.begin() + 1, rest.end()}, {"--p12-password-file", "--role"}, {}, error);
        if (!opts) {
            return fail("identity import", error);
        }
        const std::string roleName = opts->value("--role").value_or("both");
        if (roleName != "signing" && roleName != "encryption" && roleName != "both") {
            return fail("identity import", "--role must be signing, encryption or both");
        }
        const auto role = roleName == "signing"      ? store::IdentityRole::Signing
                          : roleName == "encryption" ? store::IdentityRole::Encryption
                                                     : store::IdentityRole::Both;
        auto p12Password = passphraseFrom(opts->value("--p12-password-file"), "PKCS#12 password: ", false);
        if (!p12Password) {
            return fail("identity import", p12Password.error());
        }
        auto data = readInput(rest[0]);
        if (!data) {
            return fail("identity import", data.error().detail);
        }
        auto identity = crypto::parsePkcs12(base::asBytes(*data), p12Password->view());
        base::secureWipe(data->data(), data->size());
        if (!identity) {
            return fail("identity import", rest[0] + ": " + identity.error().detail);
        }
        auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
        if (!db) {
            return fail("identity import", db.error());
        }
        const base::SystemClock clock;
        store::IdentityStore identities(*db, clock);
        auto id = identities.add(*identity, role);
        if (!id) {
            return fail("identity import", id.error());
        }
        std::cout << "imported " << identity->certificate.sha256Fingerprint() << " " << identity->certificate.subject()
                  << "\n";
        return kExitOk;
    }
    if (sub == "export") {
        return identityExport(rest, global);
    }
    if (sub == "list") {
        auto opts = Args::parse(rest, {}, {"--json"}, error);
        if (!opts) {
            return fail("identity list", error);
        }
        auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
        if (!db) {
            return fail("identity list", db.error());
        }
        const base::SystemClock clock;
        auto all = store::IdentityStore(*db, clock).list();
        if (!all) {
            return fail("identity list", all.error());
        }
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& i : *all) {
            const std::string fp = i.identity.certificate.sha256Fingerprint();
            if (opts->has("--json")) {
                out.push_back({{"address", i.address},
                               {"role", store::identityRoleName(i.role)},
                               {"state", store::identityStateName(i.state)},
                               {"fingerprint_sha256", fp},
                               {"subject", i.identity.certificate.subject()}});
            } else {
                std::cout << i.address << " " << store::identityRoleName(i.role) << " "
                          << store::identityStateName(i.state) << " " << fp << "\n";
            }
        }
        if (opts->has("--json")) {
            std::cout << out.dump(2) << "\n";
        }
        return kExitOk;
    }
    return fail("identity", "unknown subcommand " + sub + " (see --help)");
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
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
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
