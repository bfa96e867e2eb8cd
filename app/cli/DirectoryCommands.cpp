#include "DirectoryCommands.h"

#include "Args.h"
#include "Commands.h"
#include "Interrupt.h"
#include "Io.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "crypto/CertificateChain.h"
#include "directory/DirectoryLookup.h"
#include "engine/DirectoryUploader.h"
#include "engine/RecipientResolver.h"
#include "store/DirectoryCache.h"
#include "store/DirectoryUploadQueue.h"
#include "store/Settings.h"
#include "store/TrustStore.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sealpost::cli {

namespace {

using json = nlohmann::ordered_json;

const char* const kDirectoryHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] directory set-url URL [--directory-ca-file F]
       sealpost-cli [--profile DIR] [--passphrase-file F] directory unset-url
       sealpost-cli [--profile DIR] [--passphrase-file F] directory show [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] directory publish-harvested on|off
The public key directory this profile looks recipients up in and publishes certificates to
(docs/directory-client.md). Without a URL every directory feature is off.
  set-url URL            the directory's base URL (https; http only to localhost); forgets the
                         lookups cached from a previous directory. --directory-ca-file F: a PEM
                         file of extra TLS trust anchors for a private directory
  unset-url              turn the directory off
  show                   URL, publishing on/off, cached lookups and the upload queue
  publish-harvested      whether certificates harvested from signed mail are queued for upload
                         (default on; your own encryption certificates are always queued)
)";

const char* const kLookupHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] lookup EMAIL... [--json] [--refresh] [--offline]
Looks recipients' certificates up in the profile's directory. Every certificate the directory
returns is validated (chain to the profile's and the system's trust anchors, names the address,
for e-mail encryption); valid ones are stored in the profile (provenance "directory"), rejected
ones are listed with the reason and never stored. Answers are cached: a certificate found for a
day (never beyond its expiry), "not found" for an hour.
  --json             the results as JSON on standard output
  --refresh          ask the directory even when the cache has a fresh answer
  --offline          answer from the cache only (stale entries included, marked as such)
  --no-system-trust  validate with the profile's trust anchors only
Exit status: 0 every address has a usable certificate, 7 some have none, 4 the directory could not
be reached and the cache has no answer, 5 its TLS certificate is not trusted, 6 it answered wrongly.
)";

const char* const kPublishHelp =
    R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] publish FILE [--json]
       sealpost-cli [--profile DIR] [--passphrase-file F] publish --pending [--all] [--json]
Publishes certificates to the profile's directory.
  FILE        a certificate with its chain (PEM, DER or a PKCS#7 certs-only bundle), submitted now
              with provenance "self"
  --pending   uploads the queued certificates whose next attempt is due (--all: every queued one);
              failures are retried after 1, 10, 100 minutes, then hourly; a rejection is final
  --json      the results as JSON on standard output
Exit status: 0 done (per-certificate results are data), 4 the directory could not be reached, 5 its
TLS certificate is not trusted, 6 it refused FILE or answered wrongly, 130 interrupted.
)";

bool wantsHelp(const std::vector<std::string>& args) {
    return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
}

int failWith(const std::string& command, const base::Error& e) {
    return fail(command, std::string(base::errorCodeName(e.code)) + ": " + e.detail, serverExitCode(e.code));
}

// The profile's and (unless excluded) the system's trust anchors.
base::Result<std::vector<crypto::Certificate>> validationAnchors(store::Database& db, bool system) {
    auto anchors = store::TrustStore(db).list();
    if (!anchors) {
        return anchors.error();
    }
    if (system) {
        auto systemAnchors = crypto::loadSystemTrustAnchors();
        if (!systemAnchors) {
            return systemAnchors.error();
        }
        anchors->insert(anchors->end(), systemAnchors->begin(), systemAnchors->end());
    }
    return anchors;
}

base::Result<directory::DirectoryClient> clientFor(store::Database& db) {
    auto settings = store::loadDirectorySettings(db);
    if (!settings) {
        return settings.error();
    }
    auto options = directory::clientOptionsFrom(*settings);
    if (!options) {
        return options.error();
    }
    options->cancelled = [] { return interruptFlag().load(); };
    return directory::DirectoryClient(std::move(*options));
}

json lookupJson(const directory::AddressLookup& r) {
    json certs = json::array();
    for (const auto& f : r.found) {
        certs.push_back({{"fingerprint_sha256", f.fingerprint},
                         {"subject", f.subject},
                         {"not_before", formatTime(f.notBefore)},
                         {"not_after", formatTime(f.notAfter)},
                         {"provenance", f.provenance}});
    }
    json rejected = json::array();
    for (const auto& x : r.rejected) {
        rejected.push_back({{"fingerprint_sha256", x.fingerprint},
                            {"subject", x.subject},
                            {"reason", directory::validationProblemName(x.problem)},
                            {"detail", x.detail}});
    }
    json error = nullptr;
    if (r.error) {
        error = {{"code", base::errorCodeName(r.error->code)}, {"detail", r.error->detail}};
    }
    return {{"address", r.address},
            {"outcome", directory::lookupOutcomeName(r.outcome)},
            {"source", directory::lookupSourceName(r.source)},
            {"stale", r.stale},
            {"certificates", certs},
            {"rejected", rejected},
            {"error", error}};
}

void printLookup(const directory::AddressLookup& r) {
    std::cout << r.address << ": " << directory::lookupOutcomeName(r.outcome);
    if (r.outcome == directory::LookupOutcome::Found || r.outcome == directory::LookupOutcome::NotFound) {
        std::cout << " (" << directory::lookupSourceName(r.source) << (r.stale ? ", STALE" : "") << ")";
    }
    std::cout << "\n";
    for (const auto& f : r.found) {
        std::cout << "  " << f.fingerprint << "\n    subject:    " << f.subject
                  << "\n    valid:      " << formatTime(f.notBefore) << " to " << formatTime(f.notAfter)
                  << "\n    provenance: " << f.provenance << "\n";
    }
    for (const auto& x : r.rejected) {
        std::cout << "  rejected " << x.fingerprint << " (" << x.subject
                  << "): " << directory::validationProblemName(x.problem) << (x.detail.empty() ? "" : ": " + x.detail)
                  << "\n";
    }
    if (r.error) {
        std::cout << "  directory: " << base::errorCodeName(r.error->code) << ": " << r.error->detail << "\n";
    }
}

int lookupExitCode(const std::vector<directory::AddressLookup>& results) {
    int code = kExitOk;
    for (const auto& r : results) {
        if (r.outcome == directory::LookupOutcome::Unreachable) {
            return kExitUnreachable;
        }
        if (r.outcome == directory::LookupOutcome::Failed && r.error) {
            code = serverExitCode(r.error->code);
        } else if (r.outcome == directory::LookupOutcome::NotFound && code == kExitOk) {
            code = kExitNotFound;
        }
    }
    return code;
}

int directorySetUrl(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "directory set-url";
    std::string error;
    std::vector<std::string> positional;
    std::vector<std::string> options;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        (rest[i].rfind("--", 0) == 0 ? options : positional).push_back(rest[i]);
        if (rest[i].rfind("--", 0) == 0 && i + 1 < rest.size()) {
            options.push_back(rest[++i]);
        }
    }
    auto args = Args::parse(options, {"--directory-ca-file"}, {}, error);
    if (!args || positional.size() != 1) {
        return fail(command, args ? "give one URL (see directory --help)" : error);
    }
    const std::string url = positional[0];
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        return fail(command, "not an http(s) URL: " + url);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    store::Settings settings(*db);
    auto previous = settings.get(store::kDirectoryUrlKey);
    if (!previous) {
        return fail(command, previous.error());
    }
    if (auto s = settings.set(store::kDirectoryUrlKey, url); !s) {
        return fail(command, s.error());
    }
    if (auto ca = args->value("--directory-ca-file")) {
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(*ca, ec);
        if (ec || !std::filesystem::is_regular_file(absolute)) {
            return fail(command, "no such file: " + *ca);
        }
        if (auto s = settings.set(store::kDirectoryCaFileKey, absolute.string()); !s) {
            return fail(command, s.error());
        }
    }
    if (previous->value_or("") != url) {
        // Another directory's answers say nothing about this one.
        if (auto cleared = store::DirectoryCache(*db).clear(); !cleared) {
            return fail(command, cleared.error());
        }
    }
    std::cout << "directory: " << url << "\n";
    return kExitOk;
}

int directoryShow(const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "directory show";
    std::string error;
    auto args = Args::parse(rest, {}, {"--json"}, error);
    if (!args) {
        return fail(command, error);
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    auto settings = store::loadDirectorySettings(*db);
    auto cache =
        settings ? store::DirectoryCache(*db).counts() : base::Result<store::DirectoryCacheCounts>(settings.error());
    auto queue =
        cache ? store::DirectoryUploadQueue(*db).counts() : base::Result<store::UploadQueueCounts>(cache.error());
    if (!queue) {
        return fail(command, queue.error());
    }
    if (args->has("--json")) {
        const json out = {
            {"url", settings->url ? json(*settings->url) : json(nullptr)},
            {"ca_file", settings->caFile ? json(*settings->caFile) : json(nullptr)},
            {"publish_harvested", settings->publishHarvested},
            {"cache", {{"found", cache->found}, {"not_found", cache->notFound}}},
            {"uploads", {{"queued", queue->queued}, {"done", queue->done}, {"rejected", queue->rejected}}}};
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    std::cout << "url:               " << settings->url.value_or("(none: directory features are off)") << "\n";
    if (settings->caFile) {
        std::cout << "TLS CA file:       " << *settings->caFile << "\n";
    }
    std::cout << "publish harvested: " << (settings->publishHarvested ? "on" : "off") << "\n"
              << "cached lookups:    " << cache->found << " found, " << cache->notFound << " not found\n"
              << "upload queue:      " << queue->queued << " queued, " << queue->done << " done, " << queue->rejected
              << " rejected\n";
    return kExitOk;
}

int directorySimple(const std::string& sub, const std::vector<std::string>& rest, const GlobalOptions& global) {
    const std::string command = "directory " + sub;
    if (sub == "publish-harvested" && (rest.size() != 1 || (rest[0] != "on" && rest[0] != "off"))) {
        return fail(command, "give on or off");
    }
    if (sub == "unset-url" && !rest.empty()) {
        return fail(command, "takes no arguments");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    store::Settings settings(*db);
    if (sub == "publish-harvested") {
        if (auto s = settings.set(store::kDirectoryPublishHarvestedKey, rest[0]); !s) {
            return fail(command, s.error());
        }
        std::cout << "publish harvested certificates: " << rest[0] << "\n";
        return kExitOk;
    }
    auto removed = settings.remove(store::kDirectoryUrlKey);
    auto removedCa = removed ? settings.remove(store::kDirectoryCaFileKey) : removed;
    if (!removedCa) {
        return fail(command, removedCa.error());
    }
    std::cout << "directory: none (directory features are off)\n";
    return kExitOk;
}

// The leaf of a bundle: the certificate that issued none of the others; then the rest.
std::vector<crypto::Certificate> leafFirst(std::vector<crypto::Certificate> certs) {
    const auto issuedOthers = [&](const crypto::Certificate& c) {
        return std::any_of(certs.begin(), certs.end(),
                           [&](const crypto::Certificate& o) { return !(o == c) && o.issuer() == c.subject(); });
    };
    const auto leaf = std::find_if(certs.begin(), certs.end(), [&](const auto& c) { return !issuedOthers(c); });
    if (leaf != certs.end()) {
        std::rotate(certs.begin(), leaf, leaf + 1);
    }
    return certs;
}

int publishFile(store::Database& db, const std::string& path, bool asJson) {
    const std::string command = "publish";
    auto data = readInput(path);
    if (!data) {
        return fail(command, data.error());
    }
    auto certs = crypto::parseCertificateBundle(base::asBytes(*data));
    if (!certs) {
        return fail(command, path + ": " + certs.error().detail);
    }
    auto client = clientFor(db);
    if (!client) {
        return fail(command, client.error());
    }
    const std::vector<crypto::Certificate> chain = leafFirst(std::move(*certs));
    const InterruptGuard interrupts;
    auto result = client->submit(chain, "self");
    if (!result) {
        return failWith(command, result.error());
    }
    const bool rejected = result->status == directory::SubmissionStatus::Rejected;
    if (asJson) {
        std::cout << json{{"fingerprint_sha256", chain.front().sha256Fingerprint()},
                          {"subject", chain.front().subject()},
                          {"status", directory::submissionStatusName(result->status)},
                          {"reason", rejected ? json(result->reason) : json(nullptr)},
                          {"detail", result->detail}}
                         .dump(2)
                  << "\n";
    } else {
        std::cout << chain.front().sha256Fingerprint() << " " << chain.front().subject() << ": "
                  << directory::submissionStatusName(result->status)
                  << (rejected ? " (" + result->reason + (result->detail.empty() ? "" : ": " + result->detail) + ")"
                               : "")
                  << "\n";
    }
    return rejected ? kExitServerError : kExitOk;
}

int publishPending(store::Database& db, bool all, bool asJson) {
    const std::string command = "publish";
    auto client = clientFor(db);
    if (!client) {
        return fail(command, client.error());
    }
    const base::SystemClock clock;
    engine::UploadRunOptions options;
    options.all = all;
    options.cancelled = [] { return interruptFlag().load(); };
    auto summary = [&] {
        const InterruptGuard interrupts;
        return engine::uploadPending(db, clock, *client, options);
    }();
    if (!summary) {
        return fail(command, summary.error());
    }
    json out = json::array();
    for (const auto& o : summary->outcomes) {
        if (asJson) {
            out.push_back({{"fingerprint_sha256", o.fingerprint},
                           {"subject", o.subject},
                           {"provenance", store::uploadProvenanceName(o.provenance)},
                           {"status", engine::uploadResultName(o.result)},
                           {"reason", o.reason.empty() ? json(nullptr) : json(o.reason)},
                           {"detail", o.detail},
                           {"next_attempt", o.nextAttempt ? json(formatTime(*o.nextAttempt)) : json(nullptr)}});
            continue;
        }
        std::cout << o.fingerprint << " " << o.subject << ": " << engine::uploadResultName(o.result);
        if (!o.reason.empty() || !o.detail.empty()) {
            std::cout << " (" << o.reason << (o.reason.empty() || o.detail.empty() ? "" : ": ") << o.detail << ")";
        }
        if (o.nextAttempt) {
            std::cout << ", next attempt " << formatTime(*o.nextAttempt);
        }
        std::cout << "\n";
    }
    if (asJson) {
        std::cout << out.dump(2) << "\n";
    } else if (summary->outcomes.empty()) {
        std::cout << "nothing due to publish\n";
    }
    if (summary->cancelled) {
        return kExitInterrupted;
    }
    if (summary->stoppedBy) {
        return failWith(command, *summary->stoppedBy);
    }
    return kExitOk;
}

} // namespace

int runDirectory(const std::vector<std::string>& args, const GlobalOptions& global) {
    if (args.empty() || wantsHelp(args)) {
        std::cout << kDirectoryHelp;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "set-url") {
        return directorySetUrl(rest, global);
    }
    if (sub == "show") {
        return directoryShow(rest, global);
    }
    if (sub == "publish-harvested" || sub == "unset-url") {
        return directorySimple(sub, rest, global);
    }
    return fail("directory", "unknown sub-command \"" + sub + "\" (see directory --help)");
}

int runLookup(const std::vector<std::string>& argv, const GlobalOptions& global) {
    const std::string command = "lookup";
    if (wantsHelp(argv)) {
        std::cout << kLookupHelp;
        return kExitOk;
    }
    std::vector<std::string> addresses;
    std::vector<std::string> options;
    for (const auto& a : argv) {
        (a.rfind("--", 0) == 0 ? options : addresses).push_back(a);
    }
    std::string error;
    auto args = Args::parse(options, {}, {"--json", "--refresh", "--offline", "--no-system-trust"}, error);
    if (!args) {
        return fail(command, error + " (see --help)");
    }
    if (addresses.empty()) {
        return fail(command, "give at least one address (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    const bool offline = args->has("--offline");
    std::optional<directory::DirectoryClient> client;
    if (!offline) {
        auto made = clientFor(*db);
        if (!made) {
            return fail(command, made.error());
        }
        client.emplace(std::move(*made));
    }
    auto anchors = validationAnchors(*db, !args->has("--no-system-trust"));
    if (!anchors) {
        return fail(command, anchors.error());
    }
    const base::SystemClock clock;
    directory::DirectoryLookup lookup(*db, clock, client ? &*client : nullptr, *anchors);
    auto results = [&] {
        const InterruptGuard interrupts;
        return lookup.lookup(addresses, {.refresh = args->has("--refresh"), .offline = offline});
    }();
    if (!results) {
        return fail(command, results.error());
    }
    for (const auto& r : *results) {
        if (r.error && r.error->code == base::ErrorCode::InvalidArgument) {
            return fail(command, r.error->detail);
        }
    }
    if (args->has("--json")) {
        json out = json::array();
        for (const auto& r : *results) {
            out.push_back(lookupJson(r));
        }
        std::cout << out.dump(2) << "\n";
    } else {
        for (const auto& r : *results) {
            printLookup(r);
        }
    }
    return lookupExitCode(*results);
}

int runPublish(const std::vector<std::string>& argv, const GlobalOptions& global) {
    const std::string command = "publish";
    if (wantsHelp(argv)) {
        std::cout << kPublishHelp;
        return kExitOk;
    }
    std::vector<std::string> files;
    std::vector<std::string> options;
    for (const auto& a : argv) {
        (a.rfind("--", 0) == 0 ? options : files).push_back(a);
    }
    std::string error;
    auto args = Args::parse(options, {}, {"--json", "--pending", "--all"}, error);
    if (!args) {
        return fail(command, error + " (see --help)");
    }
    const bool pending = args->has("--pending");
    if (pending == (files.size() == 1) || files.size() > 1 || (args->has("--all") && !pending)) {
        return fail(command, "give either one FILE or --pending (see --help)");
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail(command, db.error());
    }
    return pending ? publishPending(*db, args->has("--all"), args->has("--json"))
                   : publishFile(*db, files[0], args->has("--json"));
}

base::Result<std::unique_ptr<ProfileDirectoryLookup>> profileDirectoryLookup(store::Database& db,
                                                                             const base::Clock& clock) {
    auto out = std::make_unique<ProfileDirectoryLookup>();
    auto settings = store::loadDirectorySettings(db);
    if (!settings) {
        return settings.error();
    }
    if (!settings->url) {
        return out;
    }
    auto client = clientFor(db);
    if (!client) {
        return client.error();
    }
    out->client.emplace(std::move(*client));
    auto anchors = validationAnchors(db, true);
    if (!anchors) {
        return anchors.error();
    }
    out->anchors = std::move(*anchors);
    out->lookup.emplace(db, clock, &*out->client, out->anchors);
    return out;
}

base::Result<void> resolveWithDirectory(store::Database& db, const std::vector<std::string>& to,
                                        const std::string& command) {
    if (to.empty()) {
        return {};
    }
    const base::SystemClock clock;
    auto directory = profileDirectoryLookup(db, clock);
    if (!directory) {
        return directory.error();
    }
    if (!(*directory)->lookup) {
        return {};
    }
    auto resolved = engine::resolveRecipients(db, clock, to, &*(*directory)->lookup, {});
    if (!resolved) {
        return resolved.error();
    }
    for (const auto& r : *resolved) {
        if (!r.lookup) {
            continue;
        }
        std::cerr << "sealpost-cli " << command << ": " << r.address
                  << ": directory: " << directory::lookupOutcomeName(r.lookup->outcome);
        if (r.lookup->outcome == directory::LookupOutcome::Found ||
            r.lookup->outcome == directory::LookupOutcome::NotFound) {
            std::cerr << " (" << directory::lookupSourceName(r.lookup->source) << (r.lookup->stale ? ", stale" : "")
                      << ")";
        }
        for (const auto& x : r.lookup->rejected) {
            std::cerr << "; rejected " << x.fingerprint.substr(0, 16) << ": "
                      << directory::validationProblemName(x.problem);
        }
        if (r.lookup->error) {
            std::cerr << "; " << r.lookup->error->detail;
        }
        std::cerr << "\n";
    }
    return {};
}

} // namespace sealpost::cli

namespace sealpost::cli {

base::Result<std::size_t> publishDue(store::Database& db, const std::string& command, bool quiet) {
    auto settings = store::loadDirectorySettings(db);
    if (!settings) {
        return settings.error();
    }
    if (!settings->url) {
        return std::size_t{0};
    }
    auto client = clientFor(db);
    if (!client) {
        std::cerr << "sealpost-cli " << command << ": directory: " << client.error().detail << "\n";
        return std::size_t{0};
    }
    const base::SystemClock clock;
    engine::UploadRunOptions options;
    options.cancelled = [] { return interruptFlag().load(); };
    auto summary = engine::uploadPending(db, clock, *client, options);
    if (!summary) {
        return summary.error();
    }
    std::size_t published = 0;
    std::size_t known = 0;
    std::size_t refused = 0;
    std::size_t later = 0;
    for (const auto& o : summary->outcomes) {
        switch (o.result) {
        case engine::UploadResult::Accepted: ++published; break;
        case engine::UploadResult::Unchanged: ++known; break;
        case engine::UploadResult::Rejected: ++refused; break;
        case engine::UploadResult::Failed:
        case engine::UploadResult::RateLimited: ++later; break;
        }
    }
    if (!summary->outcomes.empty() && !quiet) {
        std::cout << "directory: " << published << " certificate(s) published, " << known << " already there, "
                  << refused << " refused, " << later << " to try again later (publish --pending --json for details)\n";
    }
    if (summary->stoppedBy) {
        std::cerr << "sealpost-cli " << command << ": directory: " << summary->stoppedBy->detail
                  << "; the queued certificates wait for the next run\n";
    }
    return published;
}

} // namespace sealpost::cli
