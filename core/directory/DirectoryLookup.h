#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "directory/CertificateValidation.h"
#include "directory/DirectoryClient.h"
#include "store/Database.h"
#include "store/Settings.h"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealpost::directory {

// How long a lookup answer holds (docs/directory-client.md). Batch answers carry
// "Cache-Control: no-store", so the client decides: a certificate found holds for a day (never
// beyond its notAfter), "nothing there" for an hour.
inline constexpr std::chrono::hours kPositiveTtl{24};
inline constexpr std::chrono::hours kNegativeTtl{1};

enum class LookupSource { Network, Cache };
[[nodiscard]] std::string_view lookupSourceName(LookupSource source) noexcept; // "network" | "cache"

enum class LookupOutcome {
    Found,       // at least one certificate passed validation (and is in the correspondent store)
    NotFound,    // the directory has nothing usable for the address (rejected ones are listed)
    Unreachable, // no answer from the directory (offline, unreachable) and nothing in the cache
    Failed,      // the directory answered wrongly or refused, or the address is malformed; see error
};
[[nodiscard]] std::string_view lookupOutcomeName(LookupOutcome outcome) noexcept; // "not-found"

struct FoundCertificate {
    std::string fingerprint;
    std::string subject;
    base::TimePoint notBefore;
    base::TimePoint notAfter;
    std::string provenance; // the directory's ("enrolled", "harvested", "self", "submitted"), or the store's
};

struct RejectedCertificate {
    std::string fingerprint;
    std::string subject;
    ValidationProblem problem = ValidationProblem::None;
    std::string detail;
};

struct AddressLookup {
    std::string address; // normalised (as given when malformed)
    LookupOutcome outcome = LookupOutcome::NotFound;
    LookupSource source = LookupSource::Network;
    bool stale = false; // answered from a cache entry past its expiry (the directory could not be asked)
    std::vector<FoundCertificate> found;       // preferred first
    std::vector<RejectedCertificate> rejected; // from this network answer only
    std::optional<base::Error> error;          // why the directory was not (successfully) asked
};

struct LookupOptions {
    bool refresh = false; // ask the directory even when the cache has a fresh answer
    bool offline = false; // never ask the directory: cache only, stale entries included
    // Ask again for addresses whose cached answer is "nothing there" (when sending: the
    // correspondent may have enrolled since); a positive answer from the cache still holds.
    bool refreshNotFound = false;
};

// The options for a DirectoryClient from the profile's settings; InvalidArgument when no URL is set.
[[nodiscard]] base::Result<ClientOptions> clientOptionsFrom(const store::DirectorySettings& settings);

// Looks addresses up: the cache first, then the directory (one batch for every address that
// needs it). Every certificate the directory returns is validated against `anchors`; valid ones
// are stored in the correspondent store (provenance Directory, detail = the directory's provenance)
// and the answer is cached, both in one transaction. Rejected certificates are reported, never
// stored. When the directory cannot be asked, cache entries answer even when stale.
class DirectoryLookup {
public:
    // `client` may be nullptr (no directory configured): only the cache answers then.
    DirectoryLookup(store::Database& db, const base::Clock& clock, DirectoryClient* client,
                    std::span<const crypto::Certificate> anchors)
        : m_db(db), m_clock(clock), m_client(client), m_anchors(anchors.begin(), anchors.end()) {}

    // One result per address, in order. Errors: the store failed (network problems are per address).
    [[nodiscard]] base::Result<std::vector<AddressLookup>> lookup(std::span<const std::string> addresses,
                                                                  const LookupOptions& options);

private:
    [[nodiscard]] base::Result<bool> answerFromCache(AddressLookup& out, bool acceptStale, bool* isStale);
    [[nodiscard]] base::Result<void> recordAnswer(AddressLookup& out, const AddressCertificates& answer);

    store::Database& m_db;
    const base::Clock& m_clock;
    DirectoryClient* m_client;
    std::vector<crypto::Certificate> m_anchors;
};

} // namespace sealpost::directory
