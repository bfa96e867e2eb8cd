#include "directory/DirectoryLookup.h"

#include "crypto/CertificateChecks.h"
#include "directory/Address.h"
#include "store/CorrespondentStore.h"
#include "store/DirectoryCache.h"
#include "store/Transaction.h"

#include <algorithm>

namespace sealpost::directory {

using base::ErrorCode;

std::string_view lookupSourceName(LookupSource source) noexcept {
    return source == LookupSource::Cache ? "cache" : "network";
}

std::string_view lookupOutcomeName(LookupOutcome outcome) noexcept {
    switch (outcome) {
    case LookupOutcome::Found: return "found";
    case LookupOutcome::NotFound: return "not-found";
    case LookupOutcome::Unreachable: return "unreachable";
    case LookupOutcome::Failed: return "failed";
    }
    return "unknown";
}

base::Result<ClientOptions> clientOptionsFrom(const store::DirectorySettings& settings) {
    if (!settings.url) {
        return base::makeError(ErrorCode::InvalidArgument,
                               "no directory is configured (set one with: sealpost-cli directory set-url URL)");
    }
    ClientOptions options;
    options.baseUrl = *settings.url;
    options.caFile = settings.caFile.value_or("");
    return options;
}

base::Result<bool> DirectoryLookup::answerFromCache(AddressLookup& out, bool acceptStale, bool* isStale) {
    const base::TimePoint now = m_clock.now();
    auto entry = store::DirectoryCache(m_db).get(addressHash(out.address));
    if (!entry) {
        return entry.error();
    }
    if (!*entry) {
        return false;
    }
    const bool stale = (*entry)->expiresAt <= now;
    if (stale && !acceptStale) {
        return false;
    }
    std::vector<FoundCertificate> found;
    if ((*entry)->found) {
        auto stored = store::CorrespondentStore(m_db, m_clock).list(out.address);
        if (!stored) {
            return stored.error();
        }
        for (const auto& s : *stored) {
            if (crypto::isValidAt(s.cert, now) && crypto::allowsEmailProtection(s.cert) &&
                crypto::allowsEncryption(s.cert)) {
                found.push_back({s.fingerprint, s.cert.subject(), s.cert.notBefore(), s.cert.notAfter(),
                                 s.provenance.kind == store::ProvenanceKind::Directory
                                     ? s.provenance.detail
                                     : std::string(store::provenanceKindName(s.provenance.kind))});
            }
        }
        if (found.empty()) {
            return false; // removed from the store or expired since: ask again
        }
        std::stable_sort(found.begin(), found.end(), [](const FoundCertificate& a, const FoundCertificate& b) {
            return a.notBefore > b.notBefore;
        });
    }
    out.outcome = found.empty() ? LookupOutcome::NotFound : LookupOutcome::Found;
    out.source = LookupSource::Cache;
    out.stale = stale;
    out.found = std::move(found);
    *isStale = stale;
    return true;
}

base::Result<void> DirectoryLookup::recordAnswer(AddressLookup& out, const AddressCertificates& answer) {
    const base::TimePoint now = m_clock.now();
    std::vector<const DirectoryCertificate*> accepted;
    for (const DirectoryCertificate& dc : answer.certificates) {
        const Validation v = validateForAddress(dc.certificate, dc.chain, out.address, m_anchors, now);
        if (!v.ok()) {
            out.rejected.push_back({dc.fingerprint, dc.certificate.subject(), v.problem, v.detail});
            continue;
        }
        accepted.push_back(&dc);
        out.found.push_back({dc.fingerprint, dc.certificate.subject(), dc.certificate.notBefore(),
                             dc.certificate.notAfter(), dc.provenance});
    }
    auto transaction = store::Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    store::CorrespondentStore correspondents(m_db, m_clock);
    for (const DirectoryCertificate* dc : accepted) {
        auto remembered = correspondents.remember({.address = out.address,
                                                   .cert = dc->certificate,
                                                   .provenance = {store::ProvenanceKind::Directory, dc->provenance},
                                                   .seenAt = now,
                                                   .signingTime = std::nullopt,
                                                   .capabilities = std::nullopt});
        if (!remembered) {
            return remembered.error();
        }
    }
    const bool found = !accepted.empty();
    const base::TimePoint expires =
        found ? std::min(now + kPositiveTtl, accepted.front()->certificate.notAfter()) : now + kNegativeTtl;
    auto cached = store::DirectoryCache(m_db).put({addressHash(out.address), out.address, now, expires, found});
    if (!cached) {
        return cached.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    out.outcome = found ? LookupOutcome::Found : LookupOutcome::NotFound;
    out.source = LookupSource::Network;
    return {};
}

base::Result<std::vector<AddressLookup>> DirectoryLookup::lookup(std::span<const std::string> addresses,
                                                                 const LookupOptions& options) {
    std::vector<AddressLookup> results(addresses.size());
    std::vector<std::size_t> toAsk;
    const bool networkAllowed = !options.offline && m_client != nullptr;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        AddressLookup& r = results[i];
        auto normalised = normaliseAddress(addresses[i]);
        if (!normalised) {
            r.address = addresses[i];
            r.outcome = LookupOutcome::Failed;
            r.error = normalised.error();
            continue;
        }
        r.address = std::move(*normalised);
        if (!options.refresh || !networkAllowed) {
            bool stale = false;
            auto answered = answerFromCache(r, !networkAllowed, &stale);
            if (!answered) {
                return answered.error();
            }
            if (*answered && !(options.refreshNotFound && networkAllowed && r.outcome == LookupOutcome::NotFound)) {
                continue;
            }
            if (*answered) {
                AddressLookup fresh; // asked again below
                fresh.address = std::move(r.address);
                r = std::move(fresh);
            }
        }
        if (!networkAllowed) {
            r.outcome = LookupOutcome::Unreachable;
            r.error = base::makeError(ErrorCode::Unreachable,
                                      options.offline ? "offline, and not in the cache" : "no directory is configured");
            continue;
        }
        toAsk.push_back(i);
    }
    if (toAsk.empty()) {
        return results;
    }
    std::vector<std::string> asked;
    asked.reserve(toAsk.size());
    for (const std::size_t i : toAsk) {
        asked.push_back(results[i].address);
    }
    auto answer = m_client->lookup(asked);
    for (std::size_t k = 0; k < toAsk.size(); ++k) {
        AddressLookup& r = results[toAsk[k]];
        if (answer) {
            if (auto recorded = recordAnswer(r, (*answer)[k]); !recorded) {
                return recorded.error();
            }
            continue;
        }
        r.error = answer.error();
        bool stale = false;
        auto answered = answerFromCache(r, true, &stale);
        if (!answered) {
            return answered.error();
        }
        if (!*answered) {
            r.outcome =
                answer.error().code == ErrorCode::Unreachable ? LookupOutcome::Unreachable : LookupOutcome::Failed;
        }
    }
    return results;
}

} // namespace sealpost::directory
