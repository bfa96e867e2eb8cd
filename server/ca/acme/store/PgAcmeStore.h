#pragma once

#include "ca/acme/store/AcmeStore.h"

#include <memory>
#include <string_view>

namespace sealpost::ca::acme {

// The ACME server's state in PostgreSQL (libpq), in tables prefixed acme_ so that the CA may share
// a database with the key directory. A pool of connections, each lent to one caller at a time;
// the multi-statement changes run in transactions, and the conditional ones (a replacing order,
// a key change, a revocation) are atomic in the database, not only in this process.
class PgAcmeStore final : public AcmeStore {
public:
    // The schema version this code creates and understands (table acme_schema).
    static constexpr std::int64_t kSchemaVersion = 1;

    // Connects `poolSize` connections to the libpq connection URI and creates or migrates the
    // schema (safe when several processes start at once). Errors:
    //   InvalidArgument  poolSize < 1, or not a valid URI
    //   Unreachable      the server does not answer (refused, timed out, unknown host)
    //   AuthFailed       the server refused the credentials
    //   NotFound         no such database
    //   Unsupported      the schema is newer than this code
    // Error details never contain the password of the URI.
    [[nodiscard]] static base::Result<std::unique_ptr<PgAcmeStore>> open(std::string_view uri, int poolSize);
    ~PgAcmeStore() override;
    PgAcmeStore(const PgAcmeStore&) = delete;
    PgAcmeStore& operator=(const PgAcmeStore&) = delete;
    PgAcmeStore(PgAcmeStore&&) = delete;
    PgAcmeStore& operator=(PgAcmeStore&&) = delete;

    // The schema version recorded in the database.
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
    explicit PgAcmeStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::ca::acme
