#pragma once

#include "keydir/store/CertStore.h"

#include <memory>
#include <string_view>

namespace sealpost::keydir {

// The shared back end: PostgreSQL over libpq, for several sealpost-keydir instances using one
// database. Schema, pool and concurrency: docs/directory-server.md.
class PgCertStore final : public CertStore {
public:
    // The schema version this code creates and understands (table keydir_schema).
    static constexpr std::int64_t kSchemaVersion = 1;

    // Connects `poolSize` connections to the libpq connection URI and creates or migrates the
    // schema (safe when several instances start at once). Errors:
    //   InvalidArgument  poolSize < 1
    //   Unreachable      the server does not answer (refused, timed out, unknown host)
    //   AuthFailed       the server refused the credentials
    //   Unsupported      the schema is newer than this code
    // Error details never contain the password of the URI.
    [[nodiscard]] static base::Result<std::unique_ptr<PgCertStore>> open(std::string_view uri, int poolSize);
    ~PgCertStore() override;
    PgCertStore(const PgCertStore&) = delete;
    PgCertStore& operator=(const PgCertStore&) = delete;
    PgCertStore(PgCertStore&&) = delete;
    PgCertStore& operator=(PgCertStore&&) = delete;

    [[nodiscard]] base::Result<PutOutcome> put(std::span<const std::string> addressHashes, const StoredCert& cert,
                                               std::int64_t now) override;
    [[nodiscard]] base::Result<std::int64_t> putMany(std::span<const BulkEntry> entries, std::int64_t now) override;
    [[nodiscard]] base::Result<std::vector<StoredCert>> find(std::string_view addressHash, std::int64_t now) override;
    [[nodiscard]] base::Result<std::vector<std::vector<StoredCert>>>
    findMany(std::span<const std::string> addressHashes, std::int64_t now) override;
    [[nodiscard]] base::Result<std::int64_t> countCertificates() override;
    [[nodiscard]] base::Result<void> ping() override;

    // The schema version recorded in the database.
    [[nodiscard]] base::Result<std::int64_t> schemaVersion();

private:
    struct Impl;
    explicit PgCertStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::keydir
