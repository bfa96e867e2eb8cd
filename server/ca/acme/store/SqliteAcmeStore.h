#pragma once

#include "ca/acme/store/AcmeStore.h"

#include <filesystem>
#include <memory>

namespace sealpost::ca::acme {

// The ACME server's state in one SQLite database file (the SQLCipher library, unkeyed), in WAL
// mode. One connection serialised by a mutex: ACME traffic is small and every request is a
// handful of indexed statements, so a pool would only add lock contention inside SQLite.
class SqliteAcmeStore final : public AcmeStore {
public:
    // The schema version this code creates and understands (PRAGMA user_version).
    static constexpr std::int64_t kSchemaVersion = 1;

    // Opens or creates `file` and applies pending migrations. Errors: InvalidArgument for an
    // in-memory database name, Io when the file cannot be opened or created, MalformedInput when
    // it is not a SQLite database, Unsupported when its schema is newer than this code.
    [[nodiscard]] static base::Result<std::unique_ptr<SqliteAcmeStore>> open(const std::filesystem::path& file);
    ~SqliteAcmeStore() override;
    SqliteAcmeStore(const SqliteAcmeStore&) = delete;
    SqliteAcmeStore& operator=(const SqliteAcmeStore&) = delete;
    SqliteAcmeStore(SqliteAcmeStore&&) = delete;
    SqliteAcmeStore& operator=(SqliteAcmeStore&&) = delete;

    [[nodiscard]] base::Result<std::int64_t> schemaVersion();

    [[nodiscard]] base::Result<bool> insertAccount(const AccountRecord& account) override;
    [[nodiscard]] base::Result<std::optional<AccountRecord>> findAccount(std::string_view id) override;
    [[nodiscard]] base::Result<std::optional<AccountRecord>>
    findAccountByThumbprint(std::string_view thumbprint) override;
    [[nodiscard]] base::Result<void> updateAccount(const AccountRecord& account) override;
    [[nodiscard]] base::Result<KeyChangeOutcome> changeAccountKey(std::string_view accountId, std::string_view jwk,
                                                                  std::string_view thumbprint) override;

    [[nodiscard]] base::Result<CreateOrderOutcome>
    createOrder(const OrderRecord& order, std::span<const NewAuthorization> authzs, std::int64_t now) override;
    [[nodiscard]] base::Result<bool> hasLiveReplacement(std::string_view certId, std::int64_t now) override;
    [[nodiscard]] base::Result<std::optional<OrderRecord>> findOrder(std::string_view id) override;
    [[nodiscard]] base::Result<std::vector<std::string>> orderIdsOfAccount(std::string_view accountId) override;
    [[nodiscard]] base::Result<std::vector<std::int64_t>> orderTimesOfAccount(std::string_view accountId,
                                                                              std::int64_t since) override;
    [[nodiscard]] base::Result<std::vector<std::int64_t>> orderTimesOfIdentifier(std::string_view identifier,
                                                                                 std::int64_t since) override;
    [[nodiscard]] base::Result<void> updateOrder(const OrderRecord& order) override;

    [[nodiscard]] base::Result<std::optional<AuthzRecord>> findAuthz(std::string_view id) override;
    [[nodiscard]] base::Result<std::vector<AuthzRecord>> authzsOfOrder(std::string_view orderId) override;
    [[nodiscard]] base::Result<std::optional<ChallengeRecord>> findChallenge(std::string_view id) override;
    [[nodiscard]] base::Result<std::optional<ChallengeRecord>> findChallengeOfAuthz(std::string_view authzId) override;
    [[nodiscard]] base::Result<std::optional<ChallengeRecord>>
    findChallengeByTokenPart1(std::string_view tokenPart1) override;
    [[nodiscard]] base::Result<void> saveValidation(const ChallengeRecord& challenge, const AuthzRecord& authz,
                                                    const OrderRecord& order) override;
    [[nodiscard]] base::Result<void> saveAuthz(const AuthzRecord& authz, const OrderRecord& order) override;

    [[nodiscard]] base::Result<void> storeCertificate(const CertificateRecord& certificate,
                                                      const OrderRecord& order) override;
    [[nodiscard]] base::Result<std::optional<CertificateRecord>> findCertificate(std::string_view id) override;
    [[nodiscard]] base::Result<std::optional<CertificateRecord>>
    findCertificateByCertId(std::string_view certId) override;
    [[nodiscard]] base::Result<std::optional<CertificateRecord>>
    findCertificateByFingerprint(std::string_view fingerprint) override;
    [[nodiscard]] base::Result<RevokeOutcome> revokeCertificate(std::string_view id, int reason,
                                                                std::int64_t at) override;

private:
    struct Impl;
    explicit SqliteAcmeStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::ca::acme
