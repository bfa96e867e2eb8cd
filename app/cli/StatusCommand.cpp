#include "StatusCommand.h"

#include "Args.h"
#include "Commands.h"
#include "ProfileCommands.h"
#include "ReportJson.h"
#include "acme/RenewalPolicy.h"
#include "crypto/KeyGen.h"
#include "crypto/PublicKey.h"
#include "engine/RenewalRun.h"
#include "store/AcmeStore.h"
#include "store/IdentityStore.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace sealpost::cli {
namespace {

using json = nlohmann::ordered_json;

const char* const kStatusHelp = R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] status [--json] [--at TIME]
The profile's identities (address, key type, not-after, current or retired) and, for each current
one, its enrollment: the CA, when it will be renewed and why, and the last failure. An identity
that was imported rather than enrolled says "no enrollment".
  --json      the same as JSON
  --at TIME   evaluate the renewal policy at this RFC 3339 time instead of now
)";

// The names docs/acme.md uses ("rsa2048", "p256"), else the algorithm and size.
std::string keyTypeName(const crypto::PrivateKey& key) {
    if (const auto spec = crypto::keySpecOf(crypto::PublicKey::of(key))) {
        return std::string(crypto::keySpecName(*spec));
    }
    switch (key.type()) {
    case crypto::KeyType::Rsa: return "rsa" + std::to_string(key.bits());
    case crypto::KeyType::Ec: return "ec" + std::to_string(key.bits());
    case crypto::KeyType::Other: break;
    }
    return "other";
}

json optionalTime(const std::optional<base::TimePoint>& t) {
    return t ? json(formatTime(*t)) : json(nullptr);
}

json enrollmentJson(const store::RenewalRecord& r, const acme::Decision& d) {
    json out = {{"directory_url", r.directoryUrl},
                {"ari", r.caHasAri},
                {"ari_cert_id", r.ariCertId ? json(*r.ariCertId) : json(nullptr)},
                {"action", acme::renewalActionName(d.action)},
                {"reason", acme::renewalReasonName(d.reason)},
                {"at", d.at == base::TimePoint::max() ? json(nullptr) : json(formatTime(d.at))},
                {"renew_at", optionalTime(d.renewAt)},
                {"next_ari_check", optionalTime(r.nextCheck)},
                {"ari_window",
                 r.ariWindow ? json{{"start", formatTime(r.ariWindow->start)}, {"end", formatTime(r.ariWindow->end)}}
                             : json(nullptr)},
                {"ari_explanation_url", r.ariExplanationUrl ? json(*r.ariExplanationUrl) : json(nullptr)},
                {"ari_checked_at", optionalTime(r.ariCheckedAt)},
                {"consecutive_failures", r.consecutiveFailures},
                {"last_failure", nullptr},
                {"last_success", optionalTime(r.lastSuccessAt)},
                {"replaced_by", r.replacedBy ? json(*r.replacedBy) : json(nullptr)}};
    if (r.lastFailure) {
        out["last_failure"] = {{"at", formatTime(r.lastFailure->at)},
                               {"step", store::acmeStepName(r.lastFailure->step)},
                               {"message", r.lastFailure->message}};
    }
    return out;
}

void printEnrollment(const store::RenewalRecord& r, const acme::Decision& d) {
    std::cout << "  enrolled at " << r.directoryUrl << (r.caHasAri ? " (ARI)" : "") << "\n  renewal: ";
    switch (d.action) {
    case acme::RenewalAction::RenewNow: std::cout << "renew now"; break;
    case acme::RenewalAction::CheckAri: std::cout << "check ARI now"; break;
    case acme::RenewalAction::Nothing:
        std::cout << "nothing" << (d.at == base::TimePoint::max() ? std::string() : " until " + formatTime(d.at));
        break;
    }
    std::cout << " (" << acme::renewalReasonName(d.reason) << ")";
    if (d.renewAt) {
        std::cout << "; renew at " << formatTime(*d.renewAt);
    }
    std::cout << "\n";
    if (r.ariWindow) {
        std::cout << "  ARI window: " << formatTime(r.ariWindow->start) << " .. " << formatTime(r.ariWindow->end)
                  << (r.ariExplanationUrl ? " (" + *r.ariExplanationUrl + ")" : std::string()) << "\n";
    }
    if (r.lastFailure) {
        std::cout << "  last failure: " << formatTime(r.lastFailure->at) << " at "
                  << store::acmeStepName(r.lastFailure->step) << " (" << r.consecutiveFailures
                  << " in a row): " << r.lastFailure->message << "\n";
    }
    std::cout << "  last success: " << (r.lastSuccessAt ? formatTime(*r.lastSuccessAt) : "never") << "\n";
}

} // namespace

int runStatus(const std::vector<std::string>& argv, const GlobalOptions& global) {
    if (std::find(argv.begin(), argv.end(), "--help") != argv.end() ||
        std::find(argv.begin(), argv.end(), "-h") != argv.end()) {
        std::cout << kStatusHelp;
        return kExitOk;
    }
    std::string error;
    auto args = Args::parse(argv, {"--at"}, {"--json"}, error);
    if (!args) {
        return fail("status", error + " (see --help)");
    }
    base::TimePoint now = std::chrono::system_clock::now();
    if (auto at = args->value("--at")) {
        auto t = parseTime(*at);
        if (!t) {
            return fail("status", "--at: not an RFC 3339 time: " + *at + " (example: 2026-06-01T00:00:00Z)");
        }
        now = *t;
    }
    auto db = openProfileDatabase(global, store::OpenMode::MustExist, false);
    if (!db) {
        return fail("status", db.error());
    }
    const base::SystemClock clock;
    auto identities = store::IdentityStore(*db, clock).list();
    if (!identities) {
        return fail("status", identities.error());
    }
    auto records = store::AcmeStore(*db, clock).renewals();
    if (!records) {
        return fail("status", records.error());
    }
    // A record names the identity row IdentityStore::add returned (the certificate's first address);
    // the rows of its other addresses find it through the certificate.
    std::map<std::int64_t, std::string> fingerprints;
    for (const auto& i : *identities) {
        fingerprints[i.id] = i.identity.certificate.sha256Fingerprint();
    }
    std::map<std::string, const store::RenewalRecord*> byFingerprint;
    for (const auto& r : *records) {
        if (auto f = fingerprints.find(r.identityId); f != fingerprints.end()) {
            byFingerprint[f->second] = &r;
        }
    }
    const bool asJson = args->has("--json");
    json list = json::array();
    if (!asJson && identities->empty()) {
        std::cout << "no identities (import one: sealpost-cli identity import)\n";
    }
    for (const auto& i : *identities) {
        const crypto::Certificate& cert = i.identity.certificate;
        const bool current = i.state == store::IdentityState::Current;
        const auto found = byFingerprint.find(fingerprints[i.id]);
        const store::RenewalRecord* record = found == byFingerprint.end() ? nullptr : found->second;
        json entry = {{"address", i.address},
                      {"key_type", keyTypeName(i.identity.key)},
                      {"not_after", formatTime(cert.notAfter())},
                      {"state", store::identityStateName(i.state)},
                      {"role", store::identityRoleName(i.role)},
                      {"fingerprint_sha256", fingerprints[i.id]}};
        if (!asJson) {
            std::cout << i.address << " " << keyTypeName(i.identity.key) << " not-after " << formatTime(cert.notAfter())
                      << " " << store::identityStateName(i.state) << "\n";
        }
        if (current) {
            const auto decision =
                record != nullptr ? std::optional(engine::decisionFor(*record, cert, now)) : std::nullopt;
            entry["enrollment"] = record != nullptr ? enrollmentJson(*record, *decision) : json(nullptr);
            if (!asJson && record != nullptr) {
                printEnrollment(*record, *decision);
            } else if (!asJson) {
                std::cout << "  no enrollment\n";
            }
        }
        list.push_back(std::move(entry));
    }
    if (asJson) {
        std::cout << json{{"at", formatTime(now)}, {"identities", list}}.dump(2) << "\n";
    }
    return kExitOk;
}

} // namespace sealpost::cli
