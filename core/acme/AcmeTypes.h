#pragma once

#include "acme/AcmeError.h"
#include "base/Clock.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::acme {

// The directory (RFC 8555 section 7.1.1). newNonce, newAccount and newOrder are required; the
// others are empty when the server does not offer them.
struct Directory {
    std::string newNonce;
    std::string newAccount;
    std::string newOrder;
    std::string revokeCert;
    std::string keyChange;
    std::string renewalInfo; // RFC 9773 (ARI); empty without it
    // meta
    std::string termsOfService;
    std::string website;
    std::vector<std::string> caaIdentities;
    bool externalAccountRequired = false;
};

struct NewAccountRequest {
    std::vector<std::string> contact; // "mailto:alice@example.org"
    bool termsOfServiceAgreed = false;
    bool onlyReturnExisting = false; // look the key's account up; accountDoesNotExist when none
};

struct Account {
    std::string url;    // the "kid"
    std::string status; // "valid", "deactivated", "revoked"
    std::vector<std::string> contact;
    std::string orders;
    bool created = false;          // newAccount: 201 (new) rather than 200 (the key's existing account)
    std::string termsOfServiceUrl; // Link rel="terms-of-service" of the answer, if any
};

enum class OrderStatus { Pending, Ready, Processing, Valid, Invalid };
enum class AuthorizationStatus { Pending, Valid, Invalid, Deactivated, Expired, Revoked };
enum class ChallengeStatus { Pending, Processing, Valid, Invalid };

struct NewOrderRequest {
    std::vector<Identifier> identifiers;
    std::string replaces; // ARI CertID of the certificate this order replaces (RFC 9773); empty: none
};

struct Order {
    std::string url;
    OrderStatus status = OrderStatus::Pending;
    std::optional<base::TimePoint> expires;
    std::vector<Identifier> identifiers;
    std::vector<std::string> authorizations;
    std::string finalize;
    std::string certificate; // once valid
    std::string replaces;
    std::optional<AcmeProblem> error;
    std::optional<std::chrono::seconds> retryAfter; // from the answer, for polling
};

struct Challenge {
    std::string url;
    std::string type; // "http-01", "dns-01", "email-reply-00", ...
    ChallengeStatus status = ChallengeStatus::Pending;
    std::string token;
    std::string from; // email-reply-00 (RFC 8823): the address the challenge mail comes from
    std::optional<base::TimePoint> validated;
    std::optional<AcmeProblem> error;
    std::string json; // the whole object as received, for type-specific fields
};

struct Authorization {
    std::string url;
    Identifier identifier;
    AuthorizationStatus status = AuthorizationStatus::Pending;
    std::optional<base::TimePoint> expires;
    std::vector<Challenge> challenges;
    bool wildcard = false;
    std::optional<std::chrono::seconds> retryAfter;

    // The first challenge of `type`, or nullptr.
    [[nodiscard]] const Challenge* challenge(std::string_view type) const;
};

struct CertificateChain {
    std::string url;
    std::string pem;                     // leaf first, as served (application/pem-certificate-chain)
    std::vector<std::string> alternates; // Link rel="alternate": other chains of the same certificate
    std::vector<std::string> up;         // Link rel="up": the issuer's certificate
};

// RFC 5280 CRLReason codes usable in revokeCert.
enum class RevocationReason : int {
    Unspecified = 0,
    KeyCompromise = 1,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
};

struct RenewalInfo {
    base::TimePoint windowStart;
    base::TimePoint windowEnd;
    std::string explanationUrl; // empty when absent
    std::optional<std::chrono::seconds> retryAfter;
};

[[nodiscard]] std::string_view orderStatusName(OrderStatus status) noexcept;
[[nodiscard]] std::string_view authorizationStatusName(AuthorizationStatus status) noexcept;
[[nodiscard]] std::string_view challengeStatusName(ChallengeStatus status) noexcept;

} // namespace sealpost::acme
