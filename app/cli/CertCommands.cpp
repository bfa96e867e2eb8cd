#include "CertCommands.h"

#include "Args.h"
#include "Commands.h"
#include "Io.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "crypto/CmsTypes.h"
#include "store/CorrespondentStore.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;

const char* const kCertHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] cert import FILE
       sealpost-cli [--profile DIR] [--passphrase-file F] cert list [EMAIL] [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] cert show FINGERPRINT [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] cert remove FINGERPRINT
Your correspondents' certificates (the ones you encrypt to).
  import   PEM or DER certificates, or a PKCS#7 certs-only bundle (.p7c/.p7b); each certificate
           is filed under the e-mail address it names, provenance "imported". Certificates that
           name no address (CA certificates: see trust add) are refused.
  list     every certificate, or those of one address
  show     one certificate in full, with the certificate-changed events of its address
  remove   forget a certificate (its events stay as history)
FINGERPRINT is the SHA-256 fingerprint cert list prints, or an unambiguous prefix of at least 8
hex digits.
)";

constexpr std::size_t kMinPrefix = 8;
constexpr std::size_t kFingerprintLength = 64;

json optionalTime(const std::optional<base::TimePoint>& t) {
    return t ? json(formatTime(*t)) : json(nullptr);
}

json capabilitiesJson(const std::optional<std::vector<crypto::ContentCipher>>& capabilities) {
    if (!capabilities) {
        return nullptr;
    }
    json out = json::array();
    for (const auto cipher : *capabilities) {
        out.push_back(std::string(crypto::cipherName(cipher)));
    }
    return out;
}

std::string capabilitiesText(const std::optional<std::vector<crypto::ContentCipher>>& capabilities) {
    if (!capabilities) {
        return "not announced";
    }
    if (capabilities->empty()) {
        return "none we know";
    }
    std::string out;
    for (const auto cipher : *capabilities) {
        out += (out.empty() ? "" : ", ") + std::string(crypto::cipherName(cipher));
    }
    return out;
}

// The fields of `cert list --json`; `cert show --json` adds to them.
json certJson(const store::StoredCorrespondentCert& c) {
    return {{"address", c.address},
            {"fingerprint_sha256", c.fingerprint},
            {"subject", c.cert.subject()},
            {"issuer", c.cert.issuer()},
            {"not_before", formatTime(c.cert.notBefore())},
            {"not_after", formatTime(c.cert.notAfter())},
            {"provenance", std::string(store::provenanceKindName(c.provenance.kind))},
            {"provenance_detail", c.provenance.detail},
            {"first_seen", formatTime(c.firstSeen)},
            {"last_seen", formatTime(c.lastSeen)},
            {"signing_time", optionalTime(c.signingTime)},
            {"capabilities", capabilitiesJson(c.capabilities)},
            {"encryption_key_preference", c.encryptionKeyPreference}};
}

void printCert(const store::StoredCorrespondentCert& c) {
    std::cout << c.address << " " << c.fingerprint << "\n"
              << "  subject:      " << c.cert.subject() << "\n"
              << "  issuer:       " << c.cert.issuer() << "\n"
              << "  valid:        " << formatTime(c.cert.notBefore()) << " to " << formatTime(c.cert.notAfter()) << "\n"
              << "  provenance:   " << store::provenanceKindName(c.provenance.kind)
              << (c.provenance.detail.empty() ? "" : " (" + c.provenance.detail + ")") << "\n"
              << "  seen:         first " << formatTime(c.firstSeen) << ", last " << formatTime(c.lastSeen) << "\n"
              << "  signing time: " << (c.signingTime ? formatTime(*c.signingTime) : "none") << "\n"
              << "  capabilities: " << capabilitiesText(c.capabilities) << "\n"
              << "  encryption-key preference: " << (c.encryptionKeyPreference ? "yes" : "no") << "\n";
}

// The one stored certificate `arg` names (a fingerprint or an unambiguous prefix).
base::Result<store::StoredCorrespondentCert> resolve(store::CorrespondentStore& certs, const std::string& arg) {
    std::string error;
    auto prefix = fingerprintArgument(arg, error);
    if (!prefix) {
        return base::makeError(base::ErrorCode::InvalidArgument, error);
    }
    auto found = certs.findByPrefix(*prefix);
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "no certificate with fingerprint " + arg + " (see cert list)");
    }
    if (found->size() > 1) {
        return base::makeError(base::ErrorCode::InvalidArgument, "fingerprint prefix " + arg + " is ambiguous (" +
                                                                     std::to_string(found->size()) +
                                                                     " certificates); give more digits");
    }
    return std::move(found->front());
}

int certImport(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "cert import";
    if (rest.size() != 1 || rest[0].rfind("--", 0) == 0) {
        return fail(command, "give one certificate file (see --help)");
    }
    const std::string& path = rest[0];
    auto data = readInput(path);
    if (!data) {
        return fail(command, data.error().detail);
    }
    auto parsed = crypto::parseCertificateBundle(base::asBytes(*data));
    if (!parsed) {
        return fail(command, path + ": " + parsed.error().detail);
    }
    std::vector<crypto::Certificate> usable;
    std::vector<crypto::Certificate> refused;
    for (const auto& cert : *parsed) {
        (cert.emailAddresses().empty() ? refused : usable).push_back(cert);
    }
    for (const auto& cert : refused) {
        std::cerr << "sealpost-cli " << command << ": " << path << ": refused " << cert.sha256Fingerprint() << " "
                  << cert.subject() << ": it names no e-mail address (CA certificates belong in trust add)\n";
    }
    if (usable.empty()) {
        return kExitUsage;
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    store::CorrespondentStore certs(*db, clock);
    const std::string detail = std::filesystem::path(path).filename().string();
    for (const auto& cert : usable) {
        for (const auto& address : cert.emailAddresses()) {
            const store::CorrespondentCert entry{.address = address,
                                                 .cert = cert,
                                                 .provenance = {store::ProvenanceKind::Imported, detail},
                                                 .seenAt = clock.now(),
                                                 .signingTime = std::nullopt,
                                                 .capabilities = std::nullopt,
                                                 .encryptionKeyPreference = false};
            auto outcome = certs.remember(entry);
            if (!outcome) {
                return fail(command, outcome.error());
            }
            if (outcome->action == store::UpsertAction::Inserted) {
                std::cout << "imported " << cert.sha256Fingerprint() << " " << address << " " << cert.subject() << "\n";
            } else {
                std::cout << "already known " << cert.sha256Fingerprint() << " " << address << "\n";
            }
            if (outcome->certificateChanged) {
                std::cout << "note: " << address
                          << " had another valid certificate with a different key or issuer (certificate-changed "
                             "recorded; see cert show)\n";
            }
        }
    }
    return kExitOk;
}

int certList(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "cert list";
    std::vector<std::string> options = rest;
    std::optional<std::string> address;
    if (!options.empty() && options[0].rfind('-', 0) != 0) {
        address = options[0];
        options.erase(options.begin());
    }
    std::string error;
    auto opts = Args::parse(options, {}, {"--json"}, error);
    if (!opts) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    store::CorrespondentStore certs(*db, clock);
    auto all = address ? certs.list(*address) : certs.listAll();
    if (!all) {
        return fail(command, all.error());
    }
    if (opts->has("--json")) {
        json out = json::array();
        for (const auto& c : *all) {
            out.push_back(certJson(c));
        }
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    for (const auto& c : *all) {
        printCert(c);
    }
    return kExitOk;
}

int certShow(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "cert show";
    if (rest.empty() || rest[0].rfind('-', 0) == 0) {
        return fail(command, "which certificate? give its fingerprint (see --help)");
    }
    std::string error;
    auto opts = Args::parse({rest.begin() + 1, rest.end()}, {}, {"--json"}, error);
    if (!opts) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    store::CorrespondentStore certs(*db, clock);
    auto cert = resolve(certs, rest[0]);
    if (!cert) {
        return fail(command, cert.error().detail);
    }
    auto events = certs.events(cert->address);
    if (!events) {
        return fail(command, events.error());
    }
    if (opts->has("--json")) {
        json out = certJson(*cert);
        out["serial"] = cert->cert.serialHex();
        out["emails"] = cert->cert.emailAddresses();
        json list = json::array();
        for (const auto& e : *events) {
            list.push_back({{"kind", std::string(store::certEventKindName(e.kind))},
                            {"old_fingerprint", e.oldFingerprint ? json(*e.oldFingerprint) : json(nullptr)},
                            {"new_fingerprint", e.newFingerprint ? json(*e.newFingerprint) : json(nullptr)},
                            {"at", formatTime(e.at)}});
        }
        out["events"] = list;
        out["pem"] = cert->cert.pem();
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    printCert(*cert);
    std::string emails;
    for (const auto& e : cert->cert.emailAddresses()) {
        emails += (emails.empty() ? "" : ", ") + e;
    }
    std::cout << "  serial:       " << cert->cert.serialHex() << "\n"
              << "  addresses:    " << emails << "\n"
              << "  events of " << cert->address << ":" << (events->empty() ? " none" : "") << "\n";
    for (const auto& e : *events) {
        std::cout << "    " << formatTime(e.at) << " " << store::certEventKindName(e.kind) << " "
                  << e.oldFingerprint.value_or("-") << " -> " << e.newFingerprint.value_or("-") << "\n";
    }
    std::cout << cert->cert.pem();
    return kExitOk;
}

int certRemove(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "cert remove";
    if (rest.size() != 1 || rest[0].rfind('-', 0) == 0) {
        return fail(command, "give one fingerprint (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const base::SystemClock clock;
    store::CorrespondentStore certs(*db, clock);
    auto cert = resolve(certs, rest[0]);
    if (!cert) {
        return fail(command, cert.error().detail);
    }
    auto removed = certs.remove(cert->fingerprint);
    if (!removed) {
        return fail(command, removed.error());
    }
    std::cout << "removed " << cert->fingerprint << " " << cert->address << "\n";
    return kExitOk;
}

} // namespace

std::optional<std::string> fingerprintArgument(const std::string& arg, std::string& error) {
    std::string hex;
    for (const char c : arg) {
        if (c == ':') {
            continue;
        }
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
            error = "not a fingerprint: " + arg + " (hex digits, as the list commands print them)";
            return std::nullopt;
        }
        hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() < kMinPrefix || hex.size() > kFingerprintLength) {
        error = "not a fingerprint: " + arg + " (give the SHA-256 fingerprint or at least its first " +
                std::to_string(kMinPrefix) + " hex digits)";
        return std::nullopt;
    }
    return hex;
}

int runCert(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kCertHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "import") {
        return certImport(rest, global);
    }
    if (sub == "list") {
        return certList(rest, global);
    }
    if (sub == "show") {
        return certShow(rest, global);
    }
    if (sub == "remove") {
        return certRemove(rest, global);
    }
    return fail("cert", "unknown subcommand " + sub + " (see --help)");
}

} // namespace sealpost::cli
