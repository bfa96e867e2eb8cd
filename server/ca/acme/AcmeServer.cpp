#include "ca/acme/AcmeServer.h"

#include "ca/acme/AcmeFormat.h"
#include "ca/acme/AcmeServerImpl.h"
#include "crypto/Jose.h"

#include <array>
#include <exception>

namespace sealpost::ca::acme {
namespace {

constexpr std::string_view kProblemPrefix = "urn:ietf:params:acme:error:";
constexpr std::array<std::string_view, 3> kAlgorithms = {"RS256", "ES256", "ES384"};

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && detail::lowerCase(a) == detail::lowerCase(b);
}

// The media type without parameters, trimmed and lower-cased.
std::string mediaType(std::string_view contentType) {
    contentType = contentType.substr(0, contentType.find(';'));
    const auto first = contentType.find_first_not_of(" \t");
    const auto last = contentType.find_last_not_of(" \t");
    return first == std::string_view::npos ? std::string()
                                           : detail::lowerCase(contentType.substr(first, last - first + 1));
}

Problem problem(int status, std::string type, std::string detailText) {
    Problem out;
    out.status = status;
    out.type = std::move(type);
    out.detail = std::move(detailText);
    return out;
}

// Lists the algorithms we accept (RFC 8555 6.2).
Problem badSignatureAlgorithm(std::string detailText) {
    Problem p = problem(400, "badSignatureAlgorithm", std::move(detailText));
    p.extra["algorithms"] = nlohmann::json(std::vector<std::string>(kAlgorithms.begin(), kAlgorithms.end()));
    return p;
}

// The segments of "/acme/a/b" -> {"acme", "a", "b"}.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
    }
    return out;
}

enum class PostRoute {
    None,
    NewAccount,
    Account,
    AccountOrders,
    KeyChange,
    NewOrder,
    Order,
    Finalize,
    Authz,
    Challenge,
    Certificate,
    AlternateCertificate,
    IssuerCertificate,
    RevokeCert
};

struct Matched {
    PostRoute route = PostRoute::None;
    std::string_view id;
};

Matched matchPost(std::string_view path) {
    const auto parts = segments(path);
    if (parts.size() < 2 || parts[0] != "acme" || path.back() == '/') {
        return {};
    }
    const std::string_view kind = parts[1];
    if (parts.size() == 2) {
        if (kind == "new-account") {
            return {PostRoute::NewAccount, {}};
        }
        if (kind == "key-change") {
            return {PostRoute::KeyChange, {}};
        }
        if (kind == "new-order") {
            return {PostRoute::NewOrder, {}};
        }
        if (kind == "revoke-cert") {
            return {PostRoute::RevokeCert, {}};
        }
        return {};
    }
    const std::string_view id = parts[2];
    if (parts.size() == 3) {
        if (kind == "acct") {
            return {PostRoute::Account, id};
        }
        if (kind == "order") {
            return {PostRoute::Order, id};
        }
        if (kind == "authz") {
            return {PostRoute::Authz, id};
        }
        if (kind == "chall") {
            return {PostRoute::Challenge, id};
        }
        if (kind == "cert") {
            return {PostRoute::Certificate, id};
        }
        return {};
    }
    if (parts.size() == 4) {
        if (kind == "acct" && parts[3] == "orders") {
            return {PostRoute::AccountOrders, id};
        }
        if (kind == "order" && parts[3] == "finalize") {
            return {PostRoute::Finalize, id};
        }
        if (kind == "cert" && parts[3] == "1") {
            return {PostRoute::AlternateCertificate, id};
        }
        if (kind == "cert" && parts[3] == "issuer") {
            return {PostRoute::IssuerCertificate, id};
        }
    }
    return {};
}

KeyMode keyModeFor(PostRoute route) {
    switch (route) {
    case PostRoute::NewAccount: return KeyMode::Jwk;
    case PostRoute::RevokeCert:
    case PostRoute::IssuerCertificate: return KeyMode::Either;
    default: return KeyMode::Kid;
    }
}

} // namespace

Problem malformed(std::string detailText, int status) {
    return problem(status, "malformed", std::move(detailText));
}

Problem unauthorized(std::string detailText) {
    return problem(403, "unauthorized", std::move(detailText));
}

Problem deactivatedAccount(const AccountRecord& account) {
    // RFC 8555 7.3.6: 401, not the 403 of other unauthorized requests.
    return problem(401, "unauthorized", "the account is " + std::string(accountStatusName(account.status)));
}

Problem serverInternal(const base::Error& error) {
    return problem(500, "serverInternal", "the server failed (" + std::string(base::errorCodeName(error.code)) + ")");
}

Problem notFound() {
    return malformed("no such resource", 404);
}

std::string problemJson(const Problem& p) {
    nlohmann::json body = p.extra;
    body["type"] = std::string(kProblemPrefix) + p.type;
    body["detail"] = p.detail;
    body["status"] = p.status;
    return body.dump();
}

AcmeResponse jsonResponse(int status, const nlohmann::json& body) {
    AcmeResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = body.dump();
    return response;
}

void addHeader(AcmeResponse& response, std::string name, std::string value) {
    response.headers.emplace_back(std::move(name), std::move(value));
}

std::string_view orderStatusName(OrderStatus status) noexcept {
    switch (status) {
    case OrderStatus::Pending: return "pending";
    case OrderStatus::Ready: return "ready";
    case OrderStatus::Processing: return "processing";
    case OrderStatus::Valid: return "valid";
    case OrderStatus::Invalid: return "invalid";
    }
    return "invalid";
}

std::string_view authzStatusName(AuthzStatus status) noexcept {
    switch (status) {
    case AuthzStatus::Pending: return "pending";
    case AuthzStatus::Valid: return "valid";
    case AuthzStatus::Invalid: return "invalid";
    case AuthzStatus::Deactivated: return "deactivated";
    case AuthzStatus::Expired: return "expired";
    case AuthzStatus::Revoked: return "revoked";
    }
    return "invalid";
}

std::string_view challengeStatusName(ChallengeStatus status) noexcept {
    switch (status) {
    case ChallengeStatus::Pending: return "pending";
    case ChallengeStatus::Processing: return "processing";
    case ChallengeStatus::Valid: return "valid";
    case ChallengeStatus::Invalid: return "invalid";
    }
    return "invalid";
}

std::string_view accountStatusName(AccountStatus status) noexcept {
    switch (status) {
    case AccountStatus::Valid: return "valid";
    case AccountStatus::Deactivated: return "deactivated";
    case AccountStatus::Revoked: return "revoked";
    }
    return "revoked";
}

std::optional<std::string_view> AcmeResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (equalsIgnoreCase(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> AcmeResponse::headerValues(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [key, value] : headers) {
        if (equalsIgnoreCase(key, name)) {
            out.emplace_back(value);
        }
    }
    return out;
}

AcmeServer::Impl::Impl(AcmeServerConfig config, AcmeStore& store, Issuer& issuer, ChallengeMailer& mailer,
                       const base::Clock& clock, IssuedHook onIssued)
    : m_config(std::move(config)), m_store(store), m_issuer(issuer), m_mailer(mailer), m_clock(clock),
      m_onIssued(std::move(onIssued)), m_nonces(m_config.nonceLifetime, m_config.maxNonces) {
    while (m_config.externalUrl.ends_with('/')) {
        m_config.externalUrl.pop_back();
    }
    if (m_config.termsOfServiceUrl.empty()) {
        m_config.termsOfServiceUrl = m_config.externalUrl + "/terms";
    }
}

std::int64_t AcmeServer::Impl::now() const {
    return detail::toUnixSeconds(m_clock.now());
}

AcmeResponse AcmeServer::Impl::handle(const AcmeRequest& request) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    Checked<AcmeResponse> outcome = malformed("unhandled");
    try {
        outcome = route(request, path);
    } catch (const std::exception&) {
        // A JSON member of an unexpected type that a handler did not check: the client's fault.
        outcome = malformed("unexpected JSON structure");
    }
    AcmeResponse response =
        std::holds_alternative<Problem>(outcome) ? render(std::get<Problem>(outcome)) : std::get<AcmeResponse>(outcome);
    if (path != "/directory") {
        // RFC 8555 7.1: every resource but the directory links to it.
        addHeader(response, "Link", "<" + url("/directory") + ">;rel=\"index\"");
    }
    if (request.method == "POST") {
        if (auto nonce = m_nonces.issue(m_clock.now())) {
            addHeader(response, "Replay-Nonce", *nonce);
        }
        addHeader(response, "Cache-Control", "no-store");
    }
    return response;
}

AcmeResponse AcmeServer::Impl::render(const Problem& p) {
    AcmeResponse response;
    response.status = p.status;
    response.headers.emplace_back("Content-Type", "application/problem+json");
    if (p.retryAfter > 0) {
        addHeader(response, "Retry-After", std::to_string(p.retryAfter));
    }
    if (!p.location.empty()) {
        addHeader(response, "Location", p.location);
    }
    response.body = problemJson(p);
    return response;
}

Checked<AcmeResponse> AcmeServer::Impl::route(const AcmeRequest& request, std::string_view path) {
    const std::string_view method = request.method;
    const bool isGet = method == "GET" || method == "HEAD";
    if (path == "/directory") {
        return isGet ? Checked<AcmeResponse>(directory()) : malformed("use GET", 405);
    }
    if (path == "/terms") {
        if (!isGet) {
            return malformed("use GET", 405);
        }
        AcmeResponse response;
        addHeader(response, "Content-Type", "text/plain; charset=utf-8");
        response.body = m_config.termsText;
        return response;
    }
    if (path == "/acme/new-nonce") {
        return isGet ? Checked<AcmeResponse>(newNonce(method == "HEAD")) : malformed("use HEAD or GET", 405);
    }
    if (path.starts_with("/acme/renewal-info/")) {
        return isGet ? renewalInfo(path.substr(std::string_view("/acme/renewal-info/").size()))
                     : malformed("use GET", 405);
    }
    const Matched matched = matchPost(path);
    if (matched.route == PostRoute::None) {
        return notFound();
    }
    if (matched.route == PostRoute::IssuerCertificate && isGet) {
        return issuerCertificate(matched.id);
    }
    if (method != "POST") {
        return malformed("use POST", 405);
    }
    auto signedRequest = authenticate(request, keyModeFor(matched.route));
    if (auto* failed = std::get_if<Problem>(&signedRequest)) {
        return *failed;
    }
    const SignedRequest& signedIn = std::get<SignedRequest>(signedRequest);
    switch (matched.route) {
    case PostRoute::NewAccount: return newAccount(signedIn);
    case PostRoute::Account: return account(signedIn, matched.id);
    case PostRoute::AccountOrders: return accountOrders(signedIn, matched.id);
    case PostRoute::KeyChange: return keyChange(signedIn);
    case PostRoute::NewOrder: return newOrder(signedIn);
    case PostRoute::Order: return order(signedIn, matched.id);
    case PostRoute::Finalize: return finalize(signedIn, matched.id);
    case PostRoute::Authz: return authz(signedIn, matched.id);
    case PostRoute::Challenge: return challenge(signedIn, matched.id);
    case PostRoute::Certificate: return certificate(signedIn, matched.id, false);
    case PostRoute::AlternateCertificate: return certificate(signedIn, matched.id, true);
    case PostRoute::IssuerCertificate: return issuerCertificate(matched.id);
    case PostRoute::RevokeCert: return revokeCertificate(signedIn);
    case PostRoute::None: break;
    }
    return notFound();
}

Checked<SignedRequest> AcmeServer::Impl::authenticate(const AcmeRequest& request, KeyMode mode) {
    if (!request.contentType || mediaType(*request.contentType) != "application/jose+json") {
        return malformed("Content-Type must be application/jose+json", 415);
    }
    if (request.bodyTooLarge || request.body.size() > m_config.maxBody) {
        return malformed("request body too large", 413);
    }
    auto headerText = crypto::unverifiedProtectedHeader(request.body);
    if (!headerText) {
        return malformed("not a flattened JWS: " + headerText.error().detail);
    }
    const nlohmann::json header = nlohmann::json::parse(*headerText, nullptr, false);
    if (!header.is_object()) {
        return malformed("the protected header is not a JSON object");
    }
    const auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string() ||
        std::find(kAlgorithms.begin(), kAlgorithms.end(), alg->get<std::string>()) == kAlgorithms.end()) {
        return badSignatureAlgorithm("the JWS algorithm is not supported");
    }
    const auto urlHeader = header.find("url");
    if (urlHeader == header.end() || !urlHeader->is_string() || urlHeader->get<std::string>() != url(request.target)) {
        return unauthorized("the JWS url header is not the URL of this request");
    }
    const bool hasJwk = header.contains("jwk");
    const bool hasKid = header.contains("kid");
    if (hasJwk == hasKid) {
        return malformed("the JWS needs exactly one of jwk and kid");
    }
    if ((mode == KeyMode::Jwk && !hasJwk) || (mode == KeyMode::Kid && !hasKid)) {
        return malformed(mode == KeyMode::Jwk ? "this request is signed with a jwk"
                                              : "this request is signed with a kid");
    }
    SignedRequest out{std::string(request.target), std::nullopt, crypto::PublicKey::adopt(nullptr), {}, false, {}};
    if (hasJwk) {
        const auto& jwk = header.at("jwk");
        auto key =
            jwk.is_object()
                ? crypto::parseJwk(jwk.dump())
                : base::Result<crypto::PublicKey>(base::makeError(base::ErrorCode::MalformedInput, "not an object"));
        if (!key) {
            return problem(400, "badPublicKey", "unusable jwk: " + key.error().detail);
        }
        out.key = std::move(*key);
    } else {
        const auto& kid = header.at("kid");
        const std::string prefix = url("/acme/acct/");
        if (!kid.is_string() || !kid.get<std::string>().starts_with(prefix)) {
            return problem(400, "accountDoesNotExist", "kid is not an account URL of this server");
        }
        auto account = m_store.findAccount(kid.get<std::string>().substr(prefix.size()));
        if (!account) {
            return serverInternal(account.error());
        }
        if (!account->has_value()) {
            return problem(400, "accountDoesNotExist", "no such account");
        }
        auto key = crypto::parseJwk((*account)->jwk);
        if (!key) {
            return serverInternal(key.error());
        }
        out.key = std::move(*key);
        out.account = std::move(**account);
    }
    auto verified = crypto::verifyJws(request.body, out.key);
    if (!verified) {
        if (verified.error().code == base::ErrorCode::Unsupported) {
            return badSignatureAlgorithm(verified.error().detail);
        }
        return malformed("JWS: " + verified.error().detail);
    }
    const auto nonce = header.find("nonce");
    if (nonce == header.end() || !nonce->is_string() || !m_nonces.consume(nonce->get<std::string>(), m_clock.now())) {
        return problem(400, "badNonce", "the nonce is missing, unknown, used or expired");
    }
    if (out.account && out.account->status != AccountStatus::Valid) {
        return deactivatedAccount(*out.account);
    }
    auto jwkJson = crypto::jwkJson(out.key);
    if (!jwkJson) {
        return serverInternal(jwkJson.error());
    }
    out.jwkJson = std::move(*jwkJson);
    if (verified->payload.empty()) {
        out.postAsGet = true;
        return out;
    }
    out.payload = nlohmann::json::parse(base::asString(verified->payload), nullptr, false);
    if (!out.payload.is_object()) {
        return malformed("the payload is not a JSON object");
    }
    return out;
}

AcmeResponse AcmeServer::Impl::directory() const {
    nlohmann::json meta = {{"termsOfService", m_config.termsOfServiceUrl},
                           {"caaIdentities", nlohmann::json::array()},
                           {"externalAccountRequired", false}};
    if (!m_config.website.empty()) {
        meta["website"] = m_config.website;
    }
    return jsonResponse(200, {{"newNonce", url("/acme/new-nonce")},
                              {"newAccount", url("/acme/new-account")},
                              {"newOrder", url("/acme/new-order")},
                              {"revokeCert", url("/acme/revoke-cert")},
                              {"keyChange", url("/acme/key-change")},
                              {"renewalInfo", url("/acme/renewal-info")},
                              {"meta", meta}});
}

AcmeResponse AcmeServer::Impl::newNonce(bool head) {
    AcmeResponse response;
    auto nonce = m_nonces.issue(m_clock.now());
    if (!nonce) {
        return render(serverInternal(nonce.error()));
    }
    response.status = head ? 200 : 204;
    addHeader(response, "Replay-Nonce", *nonce);
    addHeader(response, "Cache-Control", "no-store");
    return response;
}

AcmeServer::AcmeServer(AcmeServerConfig config, AcmeStore& store, Issuer& issuer, ChallengeMailer& mailer,
                       const base::Clock& clock, IssuedHook onIssued)
    : m_impl(std::make_unique<Impl>(std::move(config), store, issuer, mailer, clock, std::move(onIssued))) {}

AcmeServer::~AcmeServer() = default;

AcmeResponse AcmeServer::handle(const AcmeRequest& request) {
    return m_impl->handle(request);
}

base::Result<ReplyVerdict> AcmeServer::acceptReply(const ChallengeReply& reply) {
    return m_impl->acceptReply(reply);
}

const AcmeServerConfig& AcmeServer::config() const {
    return m_impl->config();
}

} // namespace sealpost::ca::acme
