// Authorizations and the email-reply-00 challenge: the client's side (POSTs) and the mailbox's
// side (acceptReply), which together make a challenge valid (docs/acme.md, "The challenge").
#include "ca/acme/AcmeFormat.h"
#include "ca/acme/AcmeServerImpl.h"
#include "crypto/Jose.h"

#include <algorithm>

namespace sealpost::ca::acme {
namespace {

struct Chain {
    ChallengeRecord challenge;
    AuthzRecord authz;
    OrderRecord order;
};

bool isOpen(const ChallengeRecord& c) noexcept {
    return c.status == ChallengeStatus::Pending || c.status == ChallengeStatus::Processing;
}

std::string problemText(int status, std::string type, std::string detailText) {
    Problem p;
    p.status = status;
    p.type = std::move(type);
    p.detail = std::move(detailText);
    return problemJson(p);
}

} // namespace

std::int64_t AcmeServer::Impl::challengeExpiry(const ChallengeRecord& challenge) const {
    return challenge.sentAt + m_config.challengeLifetime.count();
}

nlohmann::json AcmeServer::Impl::challengeJson(const ChallengeRecord& c) const {
    nlohmann::json body = {{"type", "email-reply-00"},
                           {"url", url("/acme/chall/" + c.id)},
                           {"status", challengeStatusName(c.status)},
                           {"from", m_config.challengeFrom},
                           {"token", c.tokenPart2}};
    if (c.status == ChallengeStatus::Valid) {
        body["validated"] = detail::rfc3339(c.validatedAt);
    }
    if (c.status == ChallengeStatus::Invalid && !c.errorJson.empty()) {
        body["error"] = nlohmann::json::parse(c.errorJson, nullptr, false);
    }
    return body;
}

Checked<nlohmann::json> AcmeServer::Impl::authzJson(const AuthzRecord& a) {
    auto challenge = m_store.findChallengeOfAuthz(a.id);
    if (!challenge) {
        return serverInternal(challenge.error());
    }
    nlohmann::json challenges = nlohmann::json::array();
    if (challenge->has_value()) {
        challenges.push_back(challengeJson(**challenge));
    }
    return nlohmann::json{{"identifier", {{"type", "email"}, {"value", a.identifier}}},
                          {"status", authzStatusName(a.status)},
                          {"expires", detail::rfc3339(a.expiresAt)},
                          {"challenges", challenges}};
}

base::Result<void> AcmeServer::Impl::settle(const ChallengeRecord& challenge, AuthzRecord authz) {
    if (challenge.status == ChallengeStatus::Valid) {
        authz.status = AuthzStatus::Valid;
    } else if (challenge.status == ChallengeStatus::Invalid) {
        authz.status = AuthzStatus::Invalid;
    }
    auto order = m_store.findOrder(authz.orderId);
    if (!order) {
        return order.error();
    }
    auto authzs = m_store.authzsOfOrder(authz.orderId);
    if (!authzs) {
        return authzs.error();
    }
    if (!order->has_value()) {
        return base::makeError(base::ErrorCode::Io, "authorization without order");
    }
    for (AuthzRecord& a : *authzs) {
        if (a.id == authz.id) {
            a = authz;
        }
    }
    const OrderRecord derived = deriveOrderStatus(std::move(**order), *authzs, now());
    return m_store.saveValidation(challenge, authz, derived);
}

Checked<AcmeResponse> AcmeServer::Impl::authz(const SignedRequest& request, std::string_view id) {
    auto found = m_store.findAuthz(id);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return notFound();
    }
    auto order = m_store.findOrder((*found)->orderId);
    if (!order || !order->has_value()) {
        return serverInternal(order ? base::makeError(base::ErrorCode::Io, "authorization without order")
                                    : order.error());
    }
    if ((*order)->accountId != request.account->id) {
        return unauthorized("this authorization belongs to another account");
    }
    if (!request.postAsGet) {
        const auto status = request.payload.find("status");
        if (status == request.payload.end() || !status->is_string() || status->get<std::string>() != "deactivated") {
            return malformed("an authorization can only be deactivated");
        }
    }
    AuthzRecord current;
    {
        const std::lock_guard lock(m_stateMutex);
        auto refreshed = refreshOrder(std::move(**order));
        if (!refreshed) {
            return serverInternal(refreshed.error());
        }
        auto reloaded = m_store.findAuthz(id);
        if (!reloaded || !reloaded->has_value()) {
            return serverInternal(reloaded ? base::makeError(base::ErrorCode::Io, "authorization vanished")
                                           : reloaded.error());
        }
        current = std::move(**reloaded);
        if (!request.postAsGet && (current.status == AuthzStatus::Pending || current.status == AuthzStatus::Valid)) {
            current.status = AuthzStatus::Deactivated;
            auto authzs = m_store.authzsOfOrder(current.orderId);
            if (!authzs) {
                return serverInternal(authzs.error());
            }
            for (AuthzRecord& a : *authzs) {
                if (a.id == current.id) {
                    a = current;
                }
            }
            const OrderRecord derived = deriveOrderStatus(std::move(*refreshed), *authzs, now());
            if (auto saved = m_store.saveAuthz(current, derived); !saved) {
                return serverInternal(saved.error());
            }
        }
    }
    auto body = authzJson(current);
    if (auto* failed = std::get_if<Problem>(&body)) {
        return *failed;
    }
    return jsonResponse(200, std::get<nlohmann::json>(body));
}

Checked<AcmeResponse> AcmeServer::Impl::challenge(const SignedRequest& request, std::string_view id) {
    ChallengeRecord c;
    {
        const std::lock_guard lock(m_stateMutex);
        auto found = m_store.findChallenge(id);
        if (!found) {
            return serverInternal(found.error());
        }
        if (!found->has_value()) {
            return notFound();
        }
        c = std::move(**found);
        auto authzFound = m_store.findAuthz(c.authzId);
        if (!authzFound || !authzFound->has_value()) {
            return serverInternal(authzFound ? base::makeError(base::ErrorCode::Io, "challenge without authorization")
                                             : authzFound.error());
        }
        AuthzRecord a = std::move(**authzFound);
        auto order = m_store.findOrder(a.orderId);
        if (!order || !order->has_value()) {
            return serverInternal(order ? base::makeError(base::ErrorCode::Io, "authorization without order")
                                        : order.error());
        }
        if ((*order)->accountId != request.account->id) {
            return unauthorized("this challenge belongs to another account");
        }
        auto refreshed = refreshOrder(std::move(**order));
        if (!refreshed) {
            return serverInternal(refreshed.error());
        }
        const bool expired = now() >= challengeExpiry(c);
        // Any payload (RFC 8555 says {}) is the client's "I have replied"; POST-as-GET only reads.
        if (!request.postAsGet && !expired && isOpen(c) && a.status == AuthzStatus::Pending) {
            c.clientReady = true;
            if (c.reply == ReplyState::Correct) {
                c.status = ChallengeStatus::Valid;
                c.validatedAt = now();
            } else {
                c.status = ChallengeStatus::Processing;
            }
            if (auto saved = settle(c, a); !saved) {
                return serverInternal(saved.error());
            }
        }
    }
    AcmeResponse response = jsonResponse(200, challengeJson(c));
    addHeader(response, "Link", "<" + url("/acme/authz/" + c.authzId) + ">;rel=\"up\"");
    return response;
}

base::Result<ReplyVerdict> AcmeServer::Impl::acceptReply(const ChallengeReply& reply) {
    const std::lock_guard lock(m_stateMutex);
    auto found = m_store.findChallengeByTokenPart1(reply.tokenPart1);
    if (!found) {
        return found.error();
    }
    if (!found->has_value()) {
        return ReplyVerdict::Ignored;
    }
    return judgeReply(reply, std::move(**found));
}

base::Result<ReplyVerdict> AcmeServer::Impl::judgeReply(const ChallengeReply& reply, ChallengeRecord c) {
    auto authzFound = m_store.findAuthz(c.authzId);
    if (!authzFound) {
        return authzFound.error();
    }
    if (!authzFound->has_value()) {
        return ReplyVerdict::Ignored;
    }
    AuthzRecord a = std::move(**authzFound);
    if (c.reply != ReplyState::None || !isOpen(c) || a.status != AuthzStatus::Pending || now() >= challengeExpiry(c)) {
        return ReplyVerdict::Ignored;
    }
    auto order = m_store.findOrder(a.orderId);
    if (!order) {
        return order.error();
    }
    if (!order->has_value()) {
        return ReplyVerdict::Ignored;
    }
    auto account = m_store.findAccount((*order)->accountId);
    if (!account) {
        return account.error();
    }
    if (!account->has_value() || (*account)->status != AccountStatus::Valid) {
        return ReplyVerdict::Ignored;
    }
    const bool rightSender = detail::sameMailbox(detail::addrSpecOf(reply.fromAddress), a.identifier);
    if (!rightSender || (m_config.requireDkim && !reply.dkimVerified)) {
        c.reply = ReplyState::Unauthorized;
        c.status = ChallengeStatus::Invalid;
        c.errorJson = problemText(403, "unauthorized",
                                  rightSender ? "the reply carries no valid DKIM signature of its sender's domain"
                                              : "the reply does not come from the address being validated");
        if (auto saved = settle(c, a); !saved) {
            return saved.error();
        }
        return ReplyVerdict::Unauthorized;
    }
    auto key = crypto::parseJwk((*account)->jwk);
    if (!key) {
        return key.error();
    }
    auto keyAuthorization = crypto::keyAuthorization(c.tokenPart1 + c.tokenPart2, *key);
    if (!keyAuthorization) {
        return keyAuthorization.error();
    }
    const std::string expected = detail::sha256Base64Url(*keyAuthorization);
    ReplyVerdict verdict = ReplyVerdict::Accepted;
    if (detail::constantTimeEquals(reply.response, expected)) {
        c.reply = ReplyState::Correct;
        if (c.clientReady) {
            c.status = ChallengeStatus::Valid;
            c.validatedAt = now();
        }
    } else {
        c.reply = ReplyState::Incorrect;
        c.status = ChallengeStatus::Invalid;
        c.errorJson = problemText(403, "incorrectResponse", "the reply's response is not the expected one");
        verdict = ReplyVerdict::IncorrectResponse;
    }
    if (auto saved = settle(c, a); !saved) {
        return saved.error();
    }
    return verdict;
}

} // namespace sealpost::ca::acme
