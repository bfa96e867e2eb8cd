#include "EnrollCommands.h"

#include "Args.h"
#include "Commands.h"
#include "Interrupt.h"
#include "Io.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "acme/Sleeper.h"
#include "crypto/KeyGen.h"
#include "engine/Enrollment.h"
#include "engine/EnrollmentMailbox.h"
#include "engine/RenewalRun.h"
#include "store/AccountStore.h"
#include "store/AcmeStore.h"
#include "store/IdentityStore.h"
#include "store/Settings.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

namespace sealpost::cli {
namespace {

using json = nlohmann::ordered_json;

// Profile settings of enrollment: remembered by enroll, used by renew.
constexpr std::string_view kAcmeDirectoryKey = "acme.directory-url";
constexpr std::string_view kAcmeRootKey = "acme.ca-root"; // the CA root as PEM
constexpr std::string_view kAcmeTlsCaFileKey = "acme.ca-file";

const char* const kEnrollHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] enroll [--account ADDR] [--ca URL] [--ca-root FILE]
                     [--ca-file TLS_CA.pem] [--key-type rsa3072|p256] [--timeout SECONDS] [--json]
Gets a certificate for the mail account's address from an ACME CA with email challenges
(RFC 8823): the CA mails a signed challenge to the address, this command finds it in the INBOX,
answers it through the account's SMTP server and stores the certificate as the address's current
identity (the previous one is kept for reading old mail). The CA URL, root and TLS CA file are
remembered in the profile, so later runs and `renew` need no options. Without options and
nothing remembered, SEALPOST_CA_URL and SEALPOST_CA_ROOT (a file) name the deployment's CA.
The CA's root becomes one of the profile's trust anchors (the certificates it issues to your
correspondents are then valid for you too), and a profile without a directory gets the
deployment's: SEALPOST_DIRECTORY_URL (with SEALPOST_DIRECTORY_CA_FILE for a private TLS CA).
  --account ADDR    the mail account (needed when the profile has several)
  --ca URL          the CA's ACME directory URL (e.g. https://ca.example/directory)
  --ca-root FILE    the CA's root certificate (PEM): the only anchor for its challenge mail
  --ca-file FILE    extra TLS trust anchors (PEM) for a CA server with a private TLS certificate
  --key-type TYPE   rsa3072 (default) or p256
  --timeout SECONDS how long to wait for the challenge mail (default 600)
  --json            the result as JSON on standard output
Progress goes to standard error. Exit codes: 0 enrolled, 2 bad arguments or profile, 3 login
refused, 4 unreachable, 5 certificate not trusted, 6 other server error, 7 no such account,
10 the CA refused, 11 no challenge mail in time, 130 interrupted.
)";

const char* const kRenewHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] renew [--force] [--json]
Runs the renewal policy for every enrolled current identity (docs/acme.md, "Renewal"): asks the CA
for renewal information when due and renews when due, with the CA remembered by `enroll`.
  --force   renew every enrolled current identity now
  --json    the report as JSON on standard output
Exit codes as for enroll (the first failed identity's), 0 when nothing failed.
)";

struct CaSettings {
    std::string directoryUrl;
    std::optional<crypto::Certificate> root;
    std::string tlsCaFile;
};

acme::CurlTransportOptions transportOptions(std::string caFile) {
    acme::CurlTransportOptions options;
    options.caFile = std::move(caFile);
    return options;
}

int exitCodeOf(const engine::EnrollmentFailure& f) {
    if (f.error.code == base::ErrorCode::Cancelled) {
        return kExitInterrupted;
    }
    if (f.caRefused()) {
        return kExitCaRefused;
    }
    if (f.step == engine::EnrollStep::WaitForMail && f.error.code == base::ErrorCode::TemporaryFailure) {
        return kExitNoChallengeMail;
    }
    return serverExitCode(f.error.code);
}

json failureJson(const engine::EnrollmentFailure& f) {
    json out = {{"step", engine::enrollStepName(f.step)},
                {"error", base::errorCodeName(f.error.code)},
                {"message", f.message()},
                {"problem", nullptr}};
    if (f.problem) {
        out["problem"] = {{"type", f.problem->type}, {"detail", f.problem->detail}, {"status", f.problem->status}};
    }
    return out;
}

json enrolledJson(const engine::Enrolled& e) {
    return {{"identity_id", e.identityId},
            {"addresses", e.certificate.emailAddresses()},
            {"fingerprint_sha256", e.certificate.sha256Fingerprint()},
            {"not_before", formatTime(e.certificate.notBefore())},
            {"not_after", formatTime(e.certificate.notAfter())},
            {"directory_url", e.directoryUrl},
            {"ari", e.caHasAri},
            {"ari_cert_id", e.ariCertId.empty() ? json(nullptr) : json(e.ariCertId)},
            {"renew_at", e.renewAt ? json(formatTime(*e.renewAt)) : json(nullptr)},
            {"account_created", e.accountCreated},
            {"replaces", e.replacedOrder},
            {"skipped_mails", e.skippedMails},
            {"cleanup_error", e.cleanupError.empty() ? json(nullptr) : json(e.cleanupError)}};
}

void printProgress(const engine::EnrollmentProgress& p) {
    std::cerr << "enroll: " << engine::enrollStepName(p.step) << ": " << p.detail << "\n";
}

// Runs `work` on a worker thread with a stop token that SIGINT/SIGTERM trigger.
template <typename Work> void runInterruptible(Work work) {
    const InterruptGuard interrupts;
    std::atomic<bool> done{false};
    std::jthread worker([&](const std::stop_token& stop) {
        work(stop);
        done = true;
    });
    while (!done) {
        if (interruptFlag()) {
            worker.request_stop();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

base::Result<store::Account> chooseAccount(store::Database& db, const std::optional<std::string>& address) {
    store::AccountStore accounts(db);
    if (address) {
        return accounts.find(*address);
    }
    auto all = accounts.list();
    if (!all) {
        return all.error();
    }
    if (all->empty()) {
        return base::makeError(base::ErrorCode::NotFound, "the profile has no mail account (add one: account add)");
    }
    if (all->size() > 1) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "the profile has several accounts: name one with --account");
    }
    return std::move(all->front());
}

base::Result<crypto::Certificate> parseRoot(std::string_view pem, const std::string& where) {
    auto certs = crypto::Certificate::parseAll(base::asBytes(pem));
    if (!certs || certs->size() != 1) {
        return base::makeError(base::ErrorCode::InvalidArgument, where + ": not exactly one certificate");
    }
    return certs->front();
}

// The CA from the options, else from the profile; options given are remembered.
base::Result<CaSettings> caSettings(store::Database& db, const Args& args) {
    store::Settings settings(db);
    auto get = [&](std::string_view key) -> std::optional<std::string> {
        auto v = settings.get(key);
        return v ? *v : std::nullopt;
    };
    CaSettings ca;
    // The deployment's default CA (a packaged client, a company's set-up) comes from the
    // environment, after what the user gave or the profile remembers.
    auto environment = [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name); // NOLINT(concurrency-mt-unsafe): read before any thread starts
        return value != nullptr && *value != '\0' ? std::optional<std::string>(value) : std::nullopt;
    };
    ca.directoryUrl =
        args.value("--ca").value_or(get(kAcmeDirectoryKey).value_or(environment("SEALPOST_CA_URL").value_or("")));
    if (ca.directoryUrl.empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "no CA: pass --ca URL (its ACME directory) or set SEALPOST_CA_URL");
    }
    std::string rootPem;
    std::optional<std::string> rootFile = args.value("--ca-root");
    if (!rootFile) {
        rootPem = get(kAcmeRootKey).value_or("");
        if (rootPem.empty()) {
            rootFile = environment("SEALPOST_CA_ROOT");
        }
    }
    if (rootFile) {
        auto text = readInput(*rootFile);
        if (!text) {
            return text.error();
        }
        rootPem = *text;
    }
    if (rootPem.empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "no CA root: pass --ca-root FILE or set SEALPOST_CA_ROOT");
    }
    auto root = parseRoot(rootPem, rootFile.value_or("the remembered CA root"));
    if (!root) {
        return root.error();
    }
    ca.root = *root;
    if (auto file = args.value("--ca-file")) {
        std::error_code ec;
        ca.tlsCaFile = std::filesystem::absolute(*file, ec).string();
        if (ec || !std::filesystem::is_regular_file(ca.tlsCaFile)) {
            return base::makeError(base::ErrorCode::InvalidArgument, "--ca-file: no such file: " + *file);
        }
    } else {
        ca.tlsCaFile = get(kAcmeTlsCaFileKey).value_or("");
    }
    for (const auto& [key, value] :
         {std::pair{kAcmeDirectoryKey, ca.directoryUrl}, std::pair{kAcmeRootKey, ca.root->pem()},
          std::pair{kAcmeTlsCaFileKey, ca.tlsCaFile}}) {
        if (value.empty()) {
            continue;
        }
        if (auto set = settings.set(key, value); !set) {
            return set.error();
        }
    }
    return ca;
}

// The address's current identity enrolled at this CA, which a new enrollment replaces.
base::Result<std::optional<std::int64_t>> currentEnrollment(store::Database& db, const base::Clock& clock,
                                                            std::string_view address, std::string_view directoryUrl) {
    auto identities = store::IdentityStore(db, clock).forAddress(address);
    if (!identities) {
        return identities.error();
    }
    store::AcmeStore acmeStore(db, clock);
    for (const auto& identity : *identities) {
        if (identity.state != store::IdentityState::Current) {
            continue;
        }
        auto record = acmeStore.findRenewal(identity.id);
        if (!record) {
            return record.error();
        }
        if (*record && (*record)->directoryUrl == directoryUrl && !(*record)->replacedBy) {
            return std::optional(identity.id);
        }
    }
    return std::optional<std::int64_t>();
}

std::optional<std::chrono::seconds> parseSeconds(const std::string& s) {
    long v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || v <= 0) {
        return std::nullopt;
    }
    return std::chrono::seconds(v);
}

bool wantsHelp(const std::vector<std::string>& argv) {
    return std::find(argv.begin(), argv.end(), "--help") != argv.end() ||
           std::find(argv.begin(), argv.end(), "-h") != argv.end();
}

} // namespace

// Besides the identity (and the CA's root as a trust anchor, which the enrollment stores), a first
// enrollment sets up the deployment's directory when the profile has none. Returns the URL it set.
base::Result<std::optional<std::string>> adoptDeploymentDirectory(store::Database& db) {
    std::optional<std::string> setUrl;
    store::Settings settings(db);
    auto current = settings.get(store::kDirectoryUrlKey);
    if (!current) {
        return current.error();
    }
    const char* url = std::getenv("SEALPOST_DIRECTORY_URL"); // NOLINT(concurrency-mt-unsafe): no threads yet
    if (*current || url == nullptr || *url == '\0') {
        return setUrl;
    }
    const std::string_view u(url);
    if (!u.starts_with("https://") && !u.starts_with("http://")) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "SEALPOST_DIRECTORY_URL: not an http(s) URL: " + std::string(u));
    }
    if (const char* ca = std::getenv("SEALPOST_DIRECTORY_CA_FILE"); ca != nullptr && *ca != '\0') { // NOLINT
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(ca, ec);
        if (ec || !std::filesystem::is_regular_file(absolute)) {
            return base::makeError(base::ErrorCode::InvalidArgument,
                                   "SEALPOST_DIRECTORY_CA_FILE: no such file: " + std::string(ca));
        }
        if (auto set = settings.set(store::kDirectoryCaFileKey, absolute.string()); !set) {
            return set.error();
        }
    }
    if (auto set = settings.set(store::kDirectoryUrlKey, u); !set) {
        return set.error();
    }
    setUrl = std::string(u);
    return setUrl;
}

int runEnroll(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (wantsHelp(argv)) {
        std::cout << kEnrollHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {"--account", "--ca", "--ca-root", "--ca-file", "--key-type", "--timeout"},
                            {"--json"}, error);
    if (!args) {
        return fail("enroll", error + " (see --help)");
    }
    const std::string keyTypeName = args->value("--key-type").value_or("rsa3072");
    const auto keySpec = crypto::parseKeySpec(keyTypeName);
    if (!keySpec || (*keySpec != crypto::KeySpec::Rsa3072 && *keySpec != crypto::KeySpec::P256)) {
        return fail("enroll", "--key-type: rsa3072 or p256, not " + keyTypeName);
    }
    std::chrono::seconds timeout{600};
    if (auto t = args->value("--timeout")) {
        auto parsed = parseSeconds(*t);
        if (!parsed) {
            return fail("enroll", "--timeout: a positive number of seconds, not " + *t);
        }
        timeout = *parsed;
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("enroll", db.error());
    }
    auto account = chooseAccount(*db, args->value("--account"));
    if (!account) {
        return fail("enroll", std::string(base::errorCodeName(account.error().code)) + ": " + account.error().detail,
                    account.error().code == base::ErrorCode::NotFound ? kExitNotFound : kExitUsage);
    }
    auto ca = caSettings(*db, *args);
    if (!ca) {
        return fail("enroll", ca.error());
    }
    const base::SystemClock clock;
    auto replaces = currentEnrollment(*db, clock, account->address, ca->directoryUrl);
    if (!replaces) {
        return fail("enroll", replaces.error());
    }
    const auto transport = acme::makeCurlTransport(transportOptions(ca->tlsCaFile));
    acme::ThreadSleeper sleeper;
    std::optional<engine::EnrollmentResult> result;
    runInterruptible([&](const std::stop_token& stop) {
        auto mailbox = engine::makeAccountMailbox(*account, stop);
        const engine::EnrollmentContext context{&*db, transport.get(), &clock, &sleeper, acme::systemUnitRandom(),
                                                stop, printProgress};
        engine::EnrollmentRequest request;
        request.directoryUrl = ca->directoryUrl;
        request.address = account->address;
        request.mailbox = mailbox.get();
        request.caRoot = &*ca->root;
        request.keySpec = *keySpec;
        request.mailTimeout = timeout;
        request.replaces = *replaces;
        result.emplace(engine::enroll(context, request));
    });
    const bool asJson = args->has("--json");
    if (!result->ok()) {
        const engine::EnrollmentFailure& f = result->failure();
        if (asJson) {
            std::cout << json{{"address", account->address}, {"enrolled", nullptr}, {"failure", failureJson(f)}}.dump(2)
                      << "\n";
        }
        return fail("enroll", f.message(), exitCodeOf(f));
    }
    const engine::Enrolled& e = result->value();
    auto directoryUrl = adoptDeploymentDirectory(*db);
    if (!directoryUrl) {
        return fail("enroll", directoryUrl.error());
    }
    if (asJson) {
        std::cout << json{{"address", account->address},
                          {"enrolled", enrolledJson(e)},
                          {"failure", nullptr},
                          {"directory_url", *directoryUrl ? json(**directoryUrl) : json(nullptr)}}
                         .dump(2)
                  << "\n";
    } else {
        if (*directoryUrl) {
            std::cout << "directory: " << **directoryUrl << "\n";
        }
        std::cout << "enrolled " << account->address << ": certificate " << e.certificate.sha256Fingerprint()
                  << " not-after " << formatTime(e.certificate.notAfter());
        if (e.renewAt) {
            std::cout << ", renew at " << formatTime(*e.renewAt);
        }
        std::cout << "\n";
    }
    if (!e.cleanupError.empty()) {
        std::cerr << "sealpost-cli enroll: note: the challenge mail was not deleted: " << e.cleanupError << "\n";
    }
    return kExitOk;
}

int runRenew(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (wantsHelp(argv)) {
        std::cout << kRenewHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {}, {"--force", "--json"}, error);
    if (!args) {
        return fail("renew", error + " (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("renew", db.error());
    }
    store::Settings settings(*db);
    auto rootPem = settings.get(kAcmeRootKey);
    if (!rootPem) {
        return fail("renew", rootPem.error());
    }
    if (!*rootPem) {
        return fail("renew", "no CA root remembered: run enroll first");
    }
    auto root = parseRoot(**rootPem, "the remembered CA root");
    if (!root) {
        return fail("renew", root.error());
    }
    auto tlsCaFile = settings.get(kAcmeTlsCaFileKey);
    const auto transport = acme::makeCurlTransport(transportOptions(tlsCaFile && *tlsCaFile ? **tlsCaFile : ""));
    acme::ThreadSleeper sleeper;
    const base::SystemClock clock;
    std::optional<base::Result<std::vector<engine::IdentityRenewal>>> reports;
    runInterruptible([&](const std::stop_token& stop) {
        const engine::EnrollmentContext context{&*db, transport.get(), &clock, &sleeper, acme::systemUnitRandom(),
                                                stop, printProgress};
        engine::RenewalRunOptions options;
        options.force = args->has("--force");
        options.caRoot = &*root;
        options.mailboxFor =
            [&db, stop](std::string_view address) -> base::Result<std::unique_ptr<engine::EnrollmentMailbox>> {
            auto account = store::AccountStore(*db).find(address);
            if (!account) {
                return account.error();
            }
            return engine::makeAccountMailbox(*account, stop);
        };
        reports.emplace(engine::runRenewals(context, options));
    });
    if (!*reports) {
        if (reports->error().code == base::ErrorCode::Cancelled) {
            return fail("renew", "interrupted", kExitInterrupted);
        }
        return fail("renew", reports->error());
    }
    int code = kExitOk;
    json list = json::array();
    for (const auto& r : **reports) {
        json entry = {
            {"identity_id", r.identityId},
            {"address", r.address},
            {"outcome", engine::renewalOutcomeName(r.outcome)},
            {"reason", acme::renewalReasonName(r.decision.reason)},
            {"next", r.decision.at == base::TimePoint::max() ? json(nullptr) : json(formatTime(r.decision.at))},
            {"consecutive_failures", r.consecutiveFailures},
            {"renewed", r.renewed ? enrolledJson(*r.renewed) : json(nullptr)},
            {"failure", r.failure ? failureJson(*r.failure) : json(nullptr)}};
        list.push_back(std::move(entry));
        if (r.failure && code == kExitOk && r.outcome == engine::RenewalOutcome::Failed) {
            code = exitCodeOf(*r.failure);
        }
        if (args->has("--json")) {
            continue;
        }
        std::cout << r.address << ": " << engine::renewalOutcomeName(r.outcome);
        if (r.renewed) {
            std::cout << ", new certificate " << r.renewed->certificate.sha256Fingerprint() << " not-after "
                      << formatTime(r.renewed->certificate.notAfter());
        } else if (r.failure) {
            std::cout << " (" << r.consecutiveFailures << " in a row): " << r.failure->message();
        } else if (r.decision.at != base::TimePoint::max()) {
            std::cout << " until " << formatTime(r.decision.at) << " (" << acme::renewalReasonName(r.decision.reason)
                      << ")";
        }
        std::cout << "\n";
    }
    if (args->has("--json")) {
        std::cout << json{{"identities", list}}.dump(2) << "\n";
    } else if ((*reports)->empty()) {
        std::cout << "no enrolled identities (enroll one: sealpost-cli enroll)\n";
    }
    return code;
}

} // namespace sealpost::cli
