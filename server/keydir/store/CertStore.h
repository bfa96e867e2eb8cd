#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::keydir {

// A certificate the directory accepted (docs/directory-api.md). Times are Unix seconds.
struct StoredCert {
    std::string fingerprint;           // lower-case hex SHA-256 of leafDer (the primary key)
    base::Bytes leafDer;               // the certificate itself
    std::vector<base::Bytes> chainDer; // the submitted intermediates, in order, never the leaf
    std::int64_t notBefore = 0;
    std::int64_t notAfter = 0;
    std::string provenance;          // "enrolled" | "harvested" | "self" | "submitted"
    std::int64_t firstPublished = 0; // set by the store on first insert; ignored by put()
};

enum class PutOutcome {
    Inserted,  // new to the directory, or filed under an address hash it was not filed under
    Unchanged, // already there under every given hash: nothing was written
};

// Where the directory keeps its certificates. One interface, two back ends (SQLite for one
// machine, PostgreSQL for several instances sharing one database); both pass the same test
// suite (tests/server/keydir/store). Safe to call from many threads at once: implementations
// keep their own connections (a pool, or one per thread). Never lists addresses: everything is
// keyed by the address hash (lower-case hex SHA-256 of the normalised address).
class CertStore {
public:
    virtual ~CertStore() = default;
    CertStore() = default;
    CertStore(const CertStore&) = delete;
    CertStore& operator=(const CertStore&) = delete;

    // Files `cert` under every hash in `addressHashes` (at least one), in one transaction.
    // Idempotent by (address hash, fingerprint): a repeat changes nothing, not even a time stamp.
    // `now` becomes firstPublished of a certificate new to the store.
    [[nodiscard]] virtual base::Result<PutOutcome> put(std::span<const std::string> addressHashes,
                                                       const StoredCert& cert, std::int64_t now) = 0;

    // Many certificates in few transactions, for loading a directory in bulk (benchmarks,
    // migrations); each entry as put(). Returns how many were Inserted.
    struct BulkEntry {
        std::vector<std::string> addressHashes;
        StoredCert cert;
    };
    [[nodiscard]] virtual base::Result<std::int64_t> putMany(std::span<const BulkEntry> entries, std::int64_t now) = 0;

    // The current certificates (notBefore <= now < notAfter) filed under the hash, by
    // preference: latest notBefore first, then fingerprint. Empty when there are none.
    [[nodiscard]] virtual base::Result<std::vector<StoredCert>> find(std::string_view addressHash,
                                                                     std::int64_t now) = 0;
    // find() for each hash, answers in the same order, in one round trip where the back end allows.
    [[nodiscard]] virtual base::Result<std::vector<std::vector<StoredCert>>>
    findMany(std::span<const std::string> addressHashes, std::int64_t now) = 0;

    // Counts certificates (distinct fingerprints), for metrics.
    [[nodiscard]] virtual base::Result<std::int64_t> countCertificates() = 0;
    // Ok when the database answers (health checks).
    [[nodiscard]] virtual base::Result<void> ping() = 0;
};

// Opens (creating and migrating when needed) the store a `--database` value names:
// "postgresql://..." or "postgres://..." (libpq connection URI), "sqlite:PATH", or a plain PATH
// (SQLite). `poolSize` bounds the number of database connections.
[[nodiscard]] base::Result<std::unique_ptr<CertStore>> openCertStore(std::string_view url, int poolSize);

} // namespace sealpost::keydir
