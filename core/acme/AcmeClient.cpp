#include "acme/AcmeClient.h"

#include "acme/AcmeJson.h"
#include "acme/HttpHeaders.h"
#include "crypto/Jose.h"
#include "crypto/PublicKey.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace sealpost::acme {

using base::ErrorCode;
using nlohmann::json;

namespace {

AcmeError plainError(ErrorCode code, std::string detail) {
    return AcmeError{base::Error{code, std::move(detail)}, std::nullopt, 0, std::nullopt};
}

// The code a caller branches on for a server's refusal.
AcmeError parseFailure(const base::Error& error, std::string_view url) {
    return plainError(error.code, error.detail + " (from " + std::string(url) + ")");
}

json identifiersJson(const std::vector<Identifier>& identifiers) {
    json out = json::array();
    for (const auto& id : identifiers) {
        out.push_back({{"type", id.type}, {"value", id.value}});
    }
    return out;
}

template <typename T> struct PollStep {
    bool done = false;
    std::string status;
    std::optional<std::chrono::seconds> retryAfter;
};

// Fetches until `step` says done, waiting between looks: doubling delays, Retry-After first.
template <typename T, typename Fetch, typename Step>
AcmeResult<T> pollUntil(const AcmeClientConfig& config, std::string_view url, const PollOptions& options, Fetch fetch,
                        Step step) {
    const base::TimePoint deadline = config.clock->now() + options.timeout;
    std::chrono::milliseconds delay = std::max(options.initialDelay, std::chrono::milliseconds(1));
    for (int attempt = 1;; ++attempt) {
        AcmeResult<T> current = fetch();
        if (!current) {
            return current;
        }
        const PollStep<T> s = step(*current);
        std::chrono::milliseconds next = s.retryAfter ? std::chrono::milliseconds(*s.retryAfter) : delay;
        if (config.onProgress) {
            config.onProgress(AcmeProgress{AcmeProgress::Kind::Polled, std::string(url), attempt, s.status,
                                           s.done ? std::chrono::milliseconds(0) : next});
        }
        if (s.done) {
            return current;
        }
        if (config.clock->now() + next > deadline) {
            AcmeError error =
                plainError(ErrorCode::TemporaryFailure, std::string(url) + ": still " + s.status + " after " +
                                                            std::to_string(attempt) + " looks (poll timeout " +
                                                            std::to_string(options.timeout.count()) + " s)");
            error.retryAfter = s.retryAfter;
            return error;
        }
        if (config.stop.stop_requested() || !config.sleeper->sleepFor(next, config.stop)) {
            return plainError(ErrorCode::Cancelled, std::string(url) + ": polling cancelled");
        }
        delay = std::min(delay * 2, std::max(options.maxDelay, options.initialDelay));
    }
}

} // namespace

AcmeClient::AcmeClient(AcmeClientConfig config, crypto::PrivateKey accountKey)
    : m_config(std::move(config)), m_key(std::move(accountKey)) {}

AcmeResult<Directory> AcmeClient::directory() {
    if (m_directory) {
        return *m_directory;
    }
    auto response = get(m_config.directoryUrl);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return errorFromResponse(*response, "GET " + m_config.directoryUrl);
    }
    auto parsed = detail::parseDirectory(response->body);
    if (!parsed) {
        return parseFailure(parsed.error(), m_config.directoryUrl);
    }
    m_directory = std::move(*parsed);
    return *m_directory;
}

AcmeResult<Account> AcmeClient::newAccount(const NewAccountRequest& request) {
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    json payload = json::object();
    if (!request.contact.empty()) {
        payload["contact"] = request.contact;
    }
    if (request.termsOfServiceAgreed) {
        payload["termsOfServiceAgreed"] = true;
    }
    if (request.onlyReturnExisting) {
        payload["onlyReturnExisting"] = true;
    }
    auto response = post(dir->newAccount, payload.dump(), m_key, KeyIdMode::Jwk);
    if (!response) {
        return response.error();
    }
    if (response->status != 200 && response->status != 201) {
        return errorFromResponse(*response, "POST " + dir->newAccount);
    }
    const auto location = response->header("Location");
    if (!location || location->empty()) {
        return plainError(ErrorCode::ProtocolError, "POST " + dir->newAccount + ": no Location (account URL)");
    }
    auto account = detail::parseAccount(response->body);
    if (!account) {
        return parseFailure(account.error(), dir->newAccount);
    }
    account->url = resolveUrl(dir->newAccount, *location);
    account->created = response->status == 201;
    const auto links = parseLinkHeaders(response->headerValues("Link"));
    if (const auto tos = linksWithRelation(links, "terms-of-service"); !tos.empty()) {
        account->termsOfServiceUrl = tos.front();
    }
    m_accountUrl = account->url;
    return std::move(*account);
}

AcmeResult<Account> AcmeClient::accountRequest(const std::optional<std::string>& payload) {
    auto response = postAsAccount(m_accountUrl, payload);
    if (!response) {
        return response.error();
    }
    auto account = detail::parseAccount(response->body);
    if (!account) {
        return parseFailure(account.error(), m_accountUrl);
    }
    account->url = m_accountUrl;
    return std::move(*account);
}

AcmeResult<Account> AcmeClient::fetchAccount() {
    return accountRequest(std::nullopt);
}

AcmeResult<Account> AcmeClient::updateContact(const std::vector<std::string>& contact) {
    return accountRequest(json{{"contact", contact}}.dump());
}

AcmeResult<Account> AcmeClient::deactivateAccount() {
    return accountRequest(json{{"status", "deactivated"}}.dump());
}

AcmeResult<void> AcmeClient::changeKey(const crypto::PrivateKey& newKey) {
    if (auto ok = requireAccount(); !ok) {
        return ok.error();
    }
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    if (dir->keyChange.empty()) {
        return plainError(ErrorCode::Unsupported, "the ACME server has no keyChange");
    }
    const crypto::PublicKey newPublic = crypto::PublicKey::of(newKey);
    auto algorithm = crypto::jwsAlgorithmFor(newPublic);
    auto newJwk = crypto::jwkJson(newPublic);
    auto oldJwk = crypto::jwkJson(crypto::PublicKey::of(m_key));
    if (!algorithm || !newJwk || !oldJwk) {
        return !algorithm ? algorithm.error() : (!newJwk ? newJwk.error() : oldJwk.error());
    }
    // The inner JWS: signed by the new key, no nonce (RFC 8555 section 7.3.5).
    const json innerHeader = {{"alg", std::string(crypto::jwsAlgorithmName(*algorithm))},
                              {"jwk", json::parse(*newJwk)},
                              {"url", dir->keyChange}};
    const json innerPayload = {{"account", m_accountUrl}, {"oldKey", json::parse(*oldJwk)}};
    auto inner = crypto::signJws(newKey, innerHeader.dump(), base::asBytes(innerPayload.dump()));
    if (!inner) {
        return inner.error();
    }
    auto response = postAsAccount(dir->keyChange, *inner);
    if (!response) {
        return response.error();
    }
    m_key = newKey;
    return {};
}

AcmeResult<Order> AcmeClient::newOrder(const NewOrderRequest& request) {
    if (request.identifiers.empty()) {
        return plainError(ErrorCode::InvalidArgument, "newOrder without identifiers");
    }
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    json payload = {{"identifiers", identifiersJson(request.identifiers)}};
    if (!request.replaces.empty()) {
        payload["replaces"] = request.replaces;
    }
    auto response = postAsAccount(dir->newOrder, payload.dump());
    if (!response) {
        return response.error();
    }
    const auto location = response->header("Location");
    if (!location || location->empty()) {
        return plainError(ErrorCode::ProtocolError, "POST " + dir->newOrder + ": no Location (order URL)");
    }
    auto order = detail::parseOrder(response->body);
    if (!order) {
        return parseFailure(order.error(), dir->newOrder);
    }
    order->url = resolveUrl(dir->newOrder, *location);
    order->retryAfter = retryAfterOf(*response);
    return std::move(*order);
}

template <typename T>
AcmeResult<T> AcmeClient::postFor(const std::string& url, const std::optional<std::string>& payload,
                                  base::Result<T> (*parse)(std::string_view),
                                  const std::optional<std::string>& objectUrl) {
    auto response = postAsAccount(url, payload);
    if (!response) {
        return response.error();
    }
    auto object = parse(response->body);
    if (!object) {
        return parseFailure(object.error(), url);
    }
    if (objectUrl) {
        object->url = *objectUrl;
    }
    if constexpr (requires { object->retryAfter; }) {
        object->retryAfter = retryAfterOf(*response);
    }
    return std::move(*object);
}

AcmeResult<Order> AcmeClient::fetchOrder(std::string_view url) {
    const std::string u(url);
    return postFor<Order>(u, std::nullopt, detail::parseOrder, u);
}

AcmeResult<Authorization> AcmeClient::fetchAuthorization(std::string_view url) {
    const std::string u(url);
    return postFor<Authorization>(u, std::nullopt, detail::parseAuthorization, u);
}

AcmeResult<Authorization> AcmeClient::deactivateAuthorization(std::string_view url) {
    const std::string u(url);
    return postFor<Authorization>(u, json{{"status", "deactivated"}}.dump(), detail::parseAuthorization, u);
}

AcmeResult<Challenge> AcmeClient::fetchChallenge(std::string_view url) {
    return postFor<Challenge>(std::string(url), std::nullopt, detail::parseChallenge, std::nullopt);
}

AcmeResult<Challenge> AcmeClient::respondToChallenge(std::string_view url) {
    return postFor<Challenge>(std::string(url), std::string("{}"), detail::parseChallenge, std::nullopt);
}

AcmeResult<Authorization> AcmeClient::pollAuthorization(std::string_view url, const PollOptions& options) {
    return pollUntil<Authorization>(
        m_config, url, options, [&] { return fetchAuthorization(url); },
        [](const Authorization& a) {
            return PollStep<Authorization>{a.status != AuthorizationStatus::Pending,
                                           std::string(authorizationStatusName(a.status)), a.retryAfter};
        });
}

AcmeResult<Order> AcmeClient::pollOrder(std::string_view url, const PollOptions& options) {
    return pollUntil<Order>(
        m_config, url, options, [&] { return fetchOrder(url); },
        [](const Order& o) {
            const bool waiting = o.status == OrderStatus::Pending || o.status == OrderStatus::Processing;
            return PollStep<Order>{!waiting, std::string(orderStatusName(o.status)), o.retryAfter};
        });
}

AcmeResult<Order> AcmeClient::finalize(const Order& order, base::ByteView csrDer) {
    if (order.finalize.empty()) {
        return plainError(ErrorCode::InvalidArgument, "finalize: the order has no finalize URL");
    }
    const json payload = {{"csr", crypto::base64UrlEncode(csrDer)}};
    return postFor<Order>(order.finalize, payload.dump(), detail::parseOrder, order.url);
}

AcmeResult<CertificateChain> AcmeClient::downloadCertificate(std::string_view url) {
    const std::string u(url);
    auto response = postAsAccount(u, std::nullopt, "application/pem-certificate-chain");
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return errorFromResponse(*response, "POST " + u);
    }
    if (response->body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return plainError(ErrorCode::ProtocolError, "POST " + u + ": the answer is not a PEM certificate chain");
    }
    CertificateChain chain;
    chain.url = u;
    chain.pem = std::move(response->body);
    const auto links = parseLinkHeaders(response->headerValues("Link"));
    for (const auto& link : linksWithRelation(links, "alternate")) {
        chain.alternates.push_back(resolveUrl(u, link));
    }
    for (const auto& link : linksWithRelation(links, "up")) {
        chain.up.push_back(resolveUrl(u, link));
    }
    return chain;
}

AcmeResult<void> AcmeClient::revoke(base::ByteView certificateDer, std::optional<RevocationReason> reason,
                                    const crypto::PrivateKey* certificateKey) {
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    if (dir->revokeCert.empty()) {
        return plainError(ErrorCode::Unsupported, "the ACME server has no revokeCert");
    }
    json payload = {{"certificate", crypto::base64UrlEncode(certificateDer)}};
    if (reason) {
        payload["reason"] = static_cast<int>(*reason);
    }
    auto response = certificateKey != nullptr ? post(dir->revokeCert, payload.dump(), *certificateKey, KeyIdMode::Jwk)
                                              : postAsAccount(dir->revokeCert, payload.dump());
    if (!response) {
        return response.error();
    }
    return {};
}

AcmeResult<void> AcmeClient::revokeCertificate(base::ByteView certificateDer, std::optional<RevocationReason> reason) {
    return revoke(certificateDer, reason, nullptr);
}

AcmeResult<void> AcmeClient::revokeCertificateWithKey(base::ByteView certificateDer,
                                                      const crypto::PrivateKey& certificateKey,
                                                      std::optional<RevocationReason> reason) {
    return revoke(certificateDer, reason, &certificateKey);
}

AcmeResult<RenewalInfo> AcmeClient::renewalInfo(std::string_view certId) {
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    if (dir->renewalInfo.empty()) {
        return plainError(ErrorCode::Unsupported, "the ACME server has no renewalInfo (ARI)");
    }
    if (certId.empty() || certId.find_first_of("/?#") != std::string_view::npos) {
        return plainError(ErrorCode::InvalidArgument, "not an ARI CertID: " + std::string(certId));
    }
    std::string url = dir->renewalInfo;
    if (!url.ends_with('/')) {
        url += '/';
    }
    url += certId;
    auto response = get(url);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return errorFromResponse(*response, "GET " + url);
    }
    auto info = detail::parseRenewalInfo(response->body);
    if (!info) {
        return parseFailure(info.error(), url);
    }
    info->retryAfter = retryAfterOf(*response);
    return std::move(*info);
}

} // namespace sealpost::acme
