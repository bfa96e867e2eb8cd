#pragma once
// Internal to ca/acme: the state and the request handlers of AcmeServer, split over
// AcmeServer.cpp (routing, JWS), AcmeAccounts.cpp, AcmeOrders.cpp, AcmeChallenges.cpp and
// AcmeCertificates.cpp.

#include "ca/acme/AcmeServer.h"
#include "ca/acme/NonceStore.h"
#include "ca/acme/store/AcmeStore.h"
#include "crypto/PublicKey.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>

namespace sealpost::ca::acme {

// An ACME problem document on its way out.
struct Problem {
    int status = 400;
    std::string type; // the part after "urn:ietf:params:acme:error:"
    std::string detail;
    nlohmann::json extra = nlohmann::json::object(); // further members (e.g. "algorithms")
    int retryAfter = 0;                              // seconds; 0: no Retry-After
    std::string location;                            // for 409 on key-change; empty: none
};

Problem malformed(std::string detail, int status = 400);
Problem unauthorized(std::string detail);
Problem serverInternal(const base::Error& error);
Problem deactivatedAccount(const AccountRecord& account);
Problem notFound();

// Either a value or the problem to answer with.
template <typename T> using Checked = std::variant<T, Problem>;

// A POST whose JWS verified, whose nonce was fresh and whose url matched.
struct SignedRequest {
    std::string path;                     // the request's path (and query)
    std::optional<AccountRecord> account; // for "kid" requests
    crypto::PublicKey key;                // the key that signed
    std::string jwkJson;                  // that key's JWK (RFC 7638 form)
    bool postAsGet = false;
    nlohmann::json payload; // an object unless postAsGet
};

enum class KeyMode { Jwk, Kid, Either };

class AcmeServer::Impl {
public:
    Impl(AcmeServerConfig config, AcmeStore& store, Issuer& issuer, ChallengeMailer& mailer, const base::Clock& clock,
         IssuedHook onIssued);

    AcmeResponse handle(const AcmeRequest& request);
    base::Result<ReplyVerdict> acceptReply(const ChallengeReply& reply);

    const AcmeServerConfig& config() const { return m_config; }

private:
    // AcmeServer.cpp
    Checked<AcmeResponse> route(const AcmeRequest& request, std::string_view path);
    Checked<SignedRequest> authenticate(const AcmeRequest& request, KeyMode mode);
    AcmeResponse directory() const;
    AcmeResponse newNonce(bool head);
    AcmeResponse render(const Problem& problem);

    // AcmeAccounts.cpp
    Checked<AcmeResponse> newAccount(const SignedRequest& request);
    Checked<AcmeResponse> account(const SignedRequest& request, std::string_view id);
    Checked<AcmeResponse> accountOrders(const SignedRequest& request, std::string_view id);
    Checked<AcmeResponse> keyChange(const SignedRequest& request);
    nlohmann::json accountJson(const AccountRecord& account) const;

    // AcmeOrders.cpp
    Checked<AcmeResponse> newOrder(const SignedRequest& request);
    Checked<AcmeResponse> order(const SignedRequest& request, std::string_view id);
    Checked<AcmeResponse> finalize(const SignedRequest& request, std::string_view id);
    Checked<OrderRecord> ownedOrder(const SignedRequest& request, std::string_view id);
    Checked<AcmeResponse> orderResponse(const OrderRecord& order, int status);
    std::optional<Problem> checkRateLimits(const std::string& accountId, const std::vector<std::string>& identifiers);
    Checked<std::vector<std::string>> parseIdentifiers(const nlohmann::json& payload) const;
    std::optional<Problem> checkReplaces(const std::string& certId, const AccountRecord& account);
    // Applies expiry and derives the order's status from its authorizations; persists changes.
    // Callers hold m_stateMutex.
    base::Result<OrderRecord> refreshOrder(OrderRecord order);
    Checked<AcmeResponse> finishIssuance(OrderRecord order, const SignedRequest& request,
                                         const IssuedCertificate& issued);

    // AcmeChallenges.cpp
    Checked<AcmeResponse> authz(const SignedRequest& request, std::string_view id);
    Checked<AcmeResponse> challenge(const SignedRequest& request, std::string_view id);
    Checked<nlohmann::json> authzJson(const AuthzRecord& authz);
    nlohmann::json challengeJson(const ChallengeRecord& challenge) const;
    // Writes a challenge's new state with its authorization's and order's. Callers hold m_stateMutex.
    base::Result<void> settle(const ChallengeRecord& challenge, AuthzRecord authz);
    base::Result<ReplyVerdict> judgeReply(const ChallengeReply& reply, ChallengeRecord challenge);
    std::int64_t challengeExpiry(const ChallengeRecord& challenge) const;

    // AcmeCertificates.cpp
    Checked<AcmeResponse> certificate(const SignedRequest& request, std::string_view id, bool withRoot);
    Checked<AcmeResponse> issuerCertificate(std::string_view id);
    Checked<AcmeResponse> revokeCertificate(const SignedRequest& request);
    Checked<AcmeResponse> renewalInfo(std::string_view certId);

public:
    std::string url(std::string_view path) const { return m_config.externalUrl + std::string(path); }
    std::int64_t now() const;

private:
    AcmeServerConfig m_config;
    AcmeStore& m_store;
    Issuer& m_issuer;
    ChallengeMailer& m_mailer;
    const base::Clock& m_clock;
    IssuedHook m_onIssued;
    detail::NonceStore m_nonces;
    // Serialises read-modify-write of order, authorization and challenge state (client POSTs,
    // replies from the mailbox, finalize) within this process.
    std::mutex m_stateMutex;
    // Orders this process is issuing for (under m_stateMutex). A processing order not in here was
    // abandoned by a stopped server and goes back to ready.
    std::unordered_set<std::string> m_issuing;
};

// The order with its status derived from its authorizations (`authzs`, already expired where
// due) at `now`: invalid when any is not pending or valid or when the order expired, ready when
// all are valid. Orders past pending/ready are returned unchanged.
OrderRecord deriveOrderStatus(OrderRecord order, const std::vector<AuthzRecord>& authzs, std::int64_t now);

// Helpers shared by the handler files.
AcmeResponse jsonResponse(int status, const nlohmann::json& body);
void addHeader(AcmeResponse& response, std::string name, std::string value);
std::string_view orderStatusName(OrderStatus status) noexcept;
std::string_view authzStatusName(AuthzStatus status) noexcept;
std::string_view challengeStatusName(ChallengeStatus status) noexcept;
std::string_view accountStatusName(AccountStatus status) noexcept;
std::string problemJson(const Problem& problem);

} // namespace sealpost::ca::acme
