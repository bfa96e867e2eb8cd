#pragma once

#include "keydir/store/CertStore.h"

#include <filesystem>
#include <memory>

namespace sealpost::keydir {

// The single-machine back end: one SQLite database file (WAL, so that reads run concurrently
// with each other and with the one writer). Schema and pool: docs/directory-server.md.
class SqliteCertStore final : public CertStore {
public:
    // The schema version this code creates and understands (PRAGMA user_version).
    static constexpr std::int64_t kSchemaVersion = 1;

    // Opens or creates `file` with `poolSize` connections and applies pending migrations. Errors:
    //   InvalidArgument  poolSize < 1, or an in-memory database (each connection would see its own)
    //   Io               the file cannot be opened or created (missing directory, permissions)
    //   MalformedInput   the file is not a SQLite database
    //   Unsupported      its schema is newer than this code
    [[nodiscard]] static base::Result<std::unique_ptr<SqliteCertStore>> open(const std::filesystem::path& file,
                                                                             int poolSize);
    ~SqliteCertStore() override;
    SqliteCertStore(const SqliteCertStore&) = delete;
    SqliteCertStore& operator=(const SqliteCertStore&) = delete;
    SqliteCertStore(SqliteCertStore&&) = delete;
    SqliteCertStore& operator=(SqliteCertStore&&) = delete;

    [[nodiscard]] base::Result<PutOutcome> put(std::span<const std::string> addressHashes, const StoredCert& cert,
                                               std::int64_t now) override;
    [[nodiscard]] base::Result<std::int64_t> putMany(std::span<const BulkEntry> entries, std::int64_t now) override;
    [[nodiscard]] base::Result<std::vector<StoredCert>> find(std::string_view addressHash, std::int64_t now) override;
    [[nodiscard]] base::Result<std::vector<std::vector<StoredCert>>>
    findMany(std::span<const std::string> addressHashes, std::int64_t now) override;
    [[nodiscard]] base::Result<std::int64_t> countCertificates() override;
    [[nodiscard]] base::Result<void> ping() override;

    // The schema version of the open file.
    [[nodiscard]] base::Result<std::int64_t> schemaVersion();

private:
    struct Impl;
    explicit SqliteCertStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::keydir
