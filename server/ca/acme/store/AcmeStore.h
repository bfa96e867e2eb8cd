#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::ca::acme {

// The ACME server's persistent state (docs/acme.md). Times are Unix seconds. Identifiers of
// every object are random strings chosen by the server. Records are plain values: the server
// reads one, changes it and writes it back (under its own lock for state transitions).

enum class AccountStatus { Valid, Deactivated, Revoked };
enum class OrderStatus { Pending, Ready, Processing, Valid, Invalid };
enum class AuthzStatus { Pending, Valid, Invalid, Deactivated, Expired, Revoked };
enum class ChallengeStatus { Pending, Processing, Valid, Invalid };
// What the CA's mailbox has seen for a challenge.
enum class ReplyState { None, Correct, Incorrect, Unauthorized };

struct AccountRecord {
    std::string id;
    std::string jwk;        // the public JWK (RFC 7638 form)
    std::string thumbprint; // its RFC 7638 thumbprint, unique among accounts
    AccountStatus status = AccountStatus::Valid;
    std::vector<std::string> contact; // "mailto:" URLs
    bool termsAgreed = false;
    std::int64_t createdAt = 0;
};

struct OrderRecord {
    std::string id;
    std::string accountId;
    OrderStatus status = OrderStatus::Pending;
    std::vector<std::string> identifiers; // email addresses, domain lower-cased, in request order
    std::int64_t createdAt = 0;
    std::int64_t expiresAt = 0;
    std::string replaces;      // the ARI certID of the certificate this order replaces; empty: none
    std::string certificateId; // set once valid
    std::string errorJson;     // the problem document once invalid; empty otherwise
};

struct AuthzRecord {
    std::string id;
    std::string orderId;
    std::string identifier;
    AuthzStatus status = AuthzStatus::Pending;
    std::int64_t expiresAt = 0;
};

struct ChallengeRecord {
    std::string id;
    std::string authzId;
    ChallengeStatus status = ChallengeStatus::Pending;
    std::string tokenPart1; // sent by mail only; unique
    std::string tokenPart2; // published in the challenge object
    std::string messageId;  // of the challenge mail
    std::int64_t sentAt = 0;
    ReplyState reply = ReplyState::None;
    bool clientReady = false; // the client POSTed to the challenge URL
    std::int64_t validatedAt = 0;
    std::string errorJson; // the problem document once invalid
};

struct CertificateRecord {
    std::string id;
    std::string accountId;
    std::string orderId;
    base::Bytes leafDer;
    std::vector<base::Bytes> chainDer; // issuers above the leaf, nearest first, root excluded
    std::string serialHex;
    std::string certId;      // ARI CertID (RFC 9773), unique
    std::string fingerprint; // SHA-256 of the leaf DER, lower-case hex, unique
    std::int64_t notBefore = 0;
    std::int64_t notAfter = 0;
    std::int64_t issuedAt = 0;
    std::optional<std::int64_t> revokedAt;
    int revocationReason = 0;
    std::string replacedBy; // the order whose certificate replaced this one; empty: none
};

struct NewAuthorization {
    AuthzRecord authz;
    ChallengeRecord challenge;
};

enum class CreateOrderOutcome { Created, AlreadyReplaced };
enum class KeyChangeOutcome { Changed, KeyInUse };
enum class RevokeOutcome { Revoked, AlreadyRevoked };

// Thread-safe. Errors are storage failures (Io, TemporaryFailure, MalformedInput); "not found"
// is an empty optional, never an error.
class AcmeStore {
public:
    virtual ~AcmeStore() = default;

    // Inserts the account; false (and nothing stored) when an account with that thumbprint exists.
    [[nodiscard]] virtual base::Result<bool> insertAccount(const AccountRecord& account) = 0;
    [[nodiscard]] virtual base::Result<std::optional<AccountRecord>> findAccount(std::string_view id) = 0;
    [[nodiscard]] virtual base::Result<std::optional<AccountRecord>>
    findAccountByThumbprint(std::string_view thumbprint) = 0;
    // Writes status and contact (the key changes only through changeAccountKey).
    [[nodiscard]] virtual base::Result<void> updateAccount(const AccountRecord& account) = 0;
    // Replaces the account's key atomically; KeyInUse when another account has that thumbprint.
    [[nodiscard]] virtual base::Result<KeyChangeOutcome>
    changeAccountKey(std::string_view accountId, std::string_view jwk, std::string_view thumbprint) = 0;

    // Stores the order with its authorizations and challenges in one transaction. When the order
    // replaces a certificate and another order that replaces it is valid, processing, or pending
    // and unexpired at `now`, nothing is stored: AlreadyReplaced.
    [[nodiscard]] virtual base::Result<CreateOrderOutcome>
    createOrder(const OrderRecord& order, std::span<const NewAuthorization> authzs, std::int64_t now) = 0;
    // Whether an order replacing `certId` is valid, processing, or pending or ready and unexpired.
    [[nodiscard]] virtual base::Result<bool> hasLiveReplacement(std::string_view certId, std::int64_t now) = 0;
    [[nodiscard]] virtual base::Result<std::optional<OrderRecord>> findOrder(std::string_view id) = 0;
    // The account's order ids, oldest first.
    [[nodiscard]] virtual base::Result<std::vector<std::string>> orderIdsOfAccount(std::string_view accountId) = 0;
    // Creation times (ascending) of the account's orders created at or after `since`.
    [[nodiscard]] virtual base::Result<std::vector<std::int64_t>> orderTimesOfAccount(std::string_view accountId,
                                                                                      std::int64_t since) = 0;
    // Creation times (ascending) of orders for `identifier` (ASCII case-insensitive: one mailbox
    // is not hammered through spellings) created at or after `since`.
    [[nodiscard]] virtual base::Result<std::vector<std::int64_t>> orderTimesOfIdentifier(std::string_view identifier,
                                                                                         std::int64_t since) = 0;
    // Writes status, certificateId and errorJson.
    [[nodiscard]] virtual base::Result<void> updateOrder(const OrderRecord& order) = 0;

    [[nodiscard]] virtual base::Result<std::optional<AuthzRecord>> findAuthz(std::string_view id) = 0;
    [[nodiscard]] virtual base::Result<std::vector<AuthzRecord>> authzsOfOrder(std::string_view orderId) = 0;
    [[nodiscard]] virtual base::Result<std::optional<ChallengeRecord>> findChallenge(std::string_view id) = 0;
    [[nodiscard]] virtual base::Result<std::optional<ChallengeRecord>>
    findChallengeOfAuthz(std::string_view authzId) = 0;
    [[nodiscard]] virtual base::Result<std::optional<ChallengeRecord>>
    findChallengeByTokenPart1(std::string_view tokenPart1) = 0;
    // Writes the mutable state of a challenge, its authorization and its order in one transaction.
    [[nodiscard]] virtual base::Result<void> saveValidation(const ChallengeRecord& challenge, const AuthzRecord& authz,
                                                            const OrderRecord& order) = 0;
    // Writes the status of an authorization and its order in one transaction.
    [[nodiscard]] virtual base::Result<void> saveAuthz(const AuthzRecord& authz, const OrderRecord& order) = 0;

    // Stores the certificate and the now valid order in one transaction; marks the replaced
    // certificate (order.replaces) as replaced by this order.
    [[nodiscard]] virtual base::Result<void> storeCertificate(const CertificateRecord& certificate,
                                                              const OrderRecord& order) = 0;
    [[nodiscard]] virtual base::Result<std::optional<CertificateRecord>> findCertificate(std::string_view id) = 0;
    [[nodiscard]] virtual base::Result<std::optional<CertificateRecord>>
    findCertificateByCertId(std::string_view certId) = 0;
    [[nodiscard]] virtual base::Result<std::optional<CertificateRecord>>
    findCertificateByFingerprint(std::string_view fingerprint) = 0;
    [[nodiscard]] virtual base::Result<RevokeOutcome> revokeCertificate(std::string_view id, int reason,
                                                                        std::int64_t at) = 0;
};

} // namespace sealpost::ca::acme
