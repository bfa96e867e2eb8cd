// Orders: newOrder (with the challenge mails and RFC 9773 replaces), the order object, finalize.
#include "ca/acme/AcmeFormat.h"
#include "ca/acme/AcmeServerImpl.h"
#include "crypto/Jose.h"

#include <algorithm>
#include <chrono>

namespace sealpost::ca::acme {
namespace {

constexpr std::size_t kIdBytes = 12;
constexpr std::size_t kTokenBytes = 18; // docs/acme.md: each token part is 18 random bytes
constexpr std::int64_t kHour = 3600;

Problem problemOf(int status, std::string type, std::string detailText) {
    Problem p;
    p.status = status;
    p.type = std::move(type);
    p.detail = std::move(detailText);
    return p;
}

bool isLive(AuthzStatus status) noexcept {
    return status == AuthzStatus::Pending || status == AuthzStatus::Valid;
}

} // namespace

OrderRecord deriveOrderStatus(OrderRecord order, const std::vector<AuthzRecord>& authzs, std::int64_t now) {
    if (order.status != OrderStatus::Pending && order.status != OrderStatus::Ready) {
        return order;
    }
    const auto dead =
        std::find_if(authzs.begin(), authzs.end(), [](const AuthzRecord& a) { return !isLive(a.status); });
    if (dead != authzs.end()) {
        order.status = OrderStatus::Invalid;
        order.errorJson = problemJson(problemOf(403, "unauthorized",
                                                "the authorization for " + dead->identifier + " is " +
                                                    std::string(authzStatusName(dead->status))));
    } else if (now >= order.expiresAt) {
        order.status = OrderStatus::Invalid;
        order.errorJson = problemJson(problemOf(403, "unauthorized", "the order expired"));
    } else if (std::all_of(authzs.begin(), authzs.end(),
                           [](const AuthzRecord& a) { return a.status == AuthzStatus::Valid; })) {
        order.status = OrderStatus::Ready;
    } else {
        order.status = OrderStatus::Pending;
    }
    return order;
}

base::Result<OrderRecord> AcmeServer::Impl::refreshOrder(OrderRecord order) {
    if (order.status == OrderStatus::Processing && !m_issuing.contains(order.id)) {
        // Left processing by a server that stopped during issuance: the client may finalize again.
        order.status = OrderStatus::Ready;
        if (auto saved = m_store.updateOrder(order); !saved) {
            return saved.error();
        }
    }
    if (order.status != OrderStatus::Pending && order.status != OrderStatus::Ready) {
        return order;
    }
    auto authzs = m_store.authzsOfOrder(order.id);
    if (!authzs) {
        return authzs.error();
    }
    const std::int64_t t = now();
    std::vector<AuthzRecord> expired;
    for (AuthzRecord& a : *authzs) {
        if (a.status == AuthzStatus::Pending && t >= a.expiresAt) {
            a.status = AuthzStatus::Expired;
            expired.push_back(a);
        }
    }
    const OrderStatus before = order.status;
    order = deriveOrderStatus(std::move(order), *authzs, t);
    for (const AuthzRecord& a : expired) {
        if (auto saved = m_store.saveAuthz(a, order); !saved) {
            return saved.error();
        }
    }
    if (expired.empty() && order.status != before) {
        if (auto saved = m_store.updateOrder(order); !saved) {
            return saved.error();
        }
    }
    return order;
}

Checked<std::vector<std::string>> AcmeServer::Impl::parseIdentifiers(const nlohmann::json& payload) const {
    const auto identifiers = payload.find("identifiers");
    if (identifiers == payload.end() || !identifiers->is_array() || identifiers->empty()) {
        return malformed("identifiers must be a non-empty array");
    }
    if (identifiers->size() > m_config.maxIdentifiersPerOrder) {
        return problemOf(400, "rejectedIdentifier", "too many identifiers in one order");
    }
    std::vector<std::string> out;
    for (const auto& identifier : *identifiers) {
        if (!identifier.is_object() || !identifier.contains("type") || !identifier.at("type").is_string() ||
            !identifier.contains("value") || !identifier.at("value").is_string()) {
            return malformed("an identifier is {type, value}");
        }
        if (identifier.at("type").get<std::string>() != "email") {
            Problem p = problemOf(400, "unsupportedIdentifier", "only email identifiers are supported");
            return p;
        }
        const auto& value = identifier.at("value").get_ref<const std::string&>();
        if (!detail::isValidEmail(value)) {
            return problemOf(400, "rejectedIdentifier", "not an email address this CA issues for: " + value);
        }
        std::string normalised = detail::normaliseEmail(value);
        if (std::find(out.begin(), out.end(), normalised) == out.end()) {
            out.push_back(std::move(normalised));
        }
    }
    return out;
}

std::optional<Problem> AcmeServer::Impl::checkReplaces(const std::string& certId, const AccountRecord& account) {
    auto found = m_store.findCertificateByCertId(certId);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return malformed("replaces names no certificate of this CA");
    }
    if ((*found)->accountId != account.id) {
        return unauthorized("replaces names a certificate of another account");
    }
    auto replaced = m_store.hasLiveReplacement(certId, now());
    if (!replaced) {
        return serverInternal(replaced.error());
    }
    if (*replaced || !(*found)->replacedBy.empty()) {
        return problemOf(409, "alreadyReplaced", "the certificate has already been replaced");
    }
    return std::nullopt;
}

std::optional<Problem> AcmeServer::Impl::checkRateLimits(const std::string& accountId,
                                                         const std::vector<std::string>& identifiers) {
    const std::int64_t t = now();
    // Counting orders created in the last hour; the oldest of them says when a slot frees up.
    auto limited = [&](const base::Result<std::vector<std::int64_t>>& times, int limit,
                       std::string_view what) -> std::optional<Problem> {
        if (!times) {
            return serverInternal(times.error());
        }
        if (limit > 0 && times->size() >= static_cast<std::size_t>(limit)) {
            Problem p =
                problemOf(429, "rateLimited", "too many new orders for this " + std::string(what) + " in an hour");
            p.retryAfter = static_cast<int>(std::max<std::int64_t>(1, times->front() + kHour - t));
            return p;
        }
        return std::nullopt;
    };
    if (auto p = limited(m_store.orderTimesOfAccount(accountId, t - kHour + 1), m_config.newOrdersPerAccountPerHour,
                         "account")) {
        return p;
    }
    for (const std::string& identifier : identifiers) {
        if (auto p = limited(m_store.orderTimesOfIdentifier(identifier, t - kHour + 1),
                             m_config.newOrdersPerAddressPerHour, "address")) {
            return p;
        }
    }
    return std::nullopt;
}

Checked<AcmeResponse> AcmeServer::Impl::newOrder(const SignedRequest& request) {
    if (request.postAsGet) {
        return malformed("newOrder needs a payload");
    }
    if (request.payload.contains("notBefore") || request.payload.contains("notAfter")) {
        return malformed("notBefore and notAfter are not supported");
    }
    auto parsed = parseIdentifiers(request.payload);
    if (auto* failed = std::get_if<Problem>(&parsed)) {
        return *failed;
    }
    const auto identifiers = std::get<std::vector<std::string>>(std::move(parsed));
    OrderRecord order;
    if (const auto replaces = request.payload.find("replaces"); replaces != request.payload.end()) {
        if (!replaces->is_string() || replaces->get_ref<const std::string&>().empty()) {
            return malformed("replaces must be an ARI CertID");
        }
        order.replaces = replaces->get<std::string>();
        if (auto p = checkReplaces(order.replaces, *request.account)) {
            return *p;
        }
    }
    if (auto p = checkRateLimits(request.account->id, identifiers)) {
        return *p;
    }
    const std::int64_t t = now();
    auto orderId = detail::randomToken(kIdBytes);
    if (!orderId) {
        return serverInternal(orderId.error());
    }
    order.id = std::move(*orderId);
    order.accountId = request.account->id;
    order.identifiers = identifiers;
    order.createdAt = t;
    order.expiresAt = t + m_config.orderLifetime.count();
    const std::string mailDomain(detail::domainOf(m_config.challengeFrom));
    std::vector<NewAuthorization> authzs;
    for (const std::string& identifier : identifiers) {
        auto authzId = detail::randomToken(kIdBytes);
        auto challengeId = detail::randomToken(kIdBytes);
        auto part1 = detail::randomToken(kTokenBytes);
        auto part2 = detail::randomToken(kTokenBytes);
        auto messageLocal = detail::randomToken(kTokenBytes);
        for (const auto* random : {&authzId, &challengeId, &part1, &part2, &messageLocal}) {
            if (!*random) {
                return serverInternal(random->error());
            }
        }
        NewAuthorization entry;
        entry.authz = {*authzId, order.id, identifier, AuthzStatus::Pending,
                       std::min(order.expiresAt, t + m_config.challengeLifetime.count())};
        entry.challenge.id = *challengeId;
        entry.challenge.authzId = *authzId;
        entry.challenge.tokenPart1 = *part1;
        entry.challenge.tokenPart2 = *part2;
        entry.challenge.messageId = *messageLocal + "@" + mailDomain;
        entry.challenge.sentAt = t;
        authzs.push_back(std::move(entry));
    }
    // Mails first: when one cannot be sent, no order exists (the mails already sent carry tokens
    // nothing matches, so replies to them are ignored).
    for (const NewAuthorization& entry : authzs) {
        const OutgoingChallenge mail{entry.challenge.id, entry.authz.identifier, entry.challenge.tokenPart1,
                                     entry.challenge.messageId, m_clock.now()};
        if (auto sent = m_mailer.send(mail); !sent) {
            return serverInternal(sent.error());
        }
    }
    auto created = m_store.createOrder(order, authzs, t);
    if (!created) {
        return serverInternal(created.error());
    }
    if (*created == CreateOrderOutcome::AlreadyReplaced) {
        return problemOf(409, "alreadyReplaced", "the certificate has already been replaced");
    }
    return orderResponse(order, 201);
}

Checked<OrderRecord> AcmeServer::Impl::ownedOrder(const SignedRequest& request, std::string_view id) {
    auto found = m_store.findOrder(id);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return notFound();
    }
    if ((*found)->accountId != request.account->id) {
        return unauthorized("this order belongs to another account");
    }
    const std::lock_guard lock(m_stateMutex);
    auto refreshed = refreshOrder(std::move(**found));
    if (!refreshed) {
        return serverInternal(refreshed.error());
    }
    return std::move(*refreshed);
}

Checked<AcmeResponse> AcmeServer::Impl::orderResponse(const OrderRecord& order, int status) {
    auto authzs = m_store.authzsOfOrder(order.id);
    if (!authzs) {
        return serverInternal(authzs.error());
    }
    nlohmann::json identifiers = nlohmann::json::array();
    for (const std::string& identifier : order.identifiers) {
        identifiers.push_back({{"type", "email"}, {"value", identifier}});
    }
    nlohmann::json authorizations = nlohmann::json::array();
    for (const AuthzRecord& a : *authzs) {
        authorizations.push_back(url("/acme/authz/" + a.id));
    }
    nlohmann::json body = {{"status", orderStatusName(order.status)},
                           {"expires", detail::rfc3339(order.expiresAt)},
                           {"identifiers", identifiers},
                           {"authorizations", authorizations},
                           {"finalize", url("/acme/order/" + order.id + "/finalize")}};
    if (!order.replaces.empty()) {
        body["replaces"] = order.replaces;
    }
    if (order.status == OrderStatus::Valid && !order.certificateId.empty()) {
        body["certificate"] = url("/acme/cert/" + order.certificateId);
    }
    if (order.status == OrderStatus::Invalid && !order.errorJson.empty()) {
        body["error"] = nlohmann::json::parse(order.errorJson, nullptr, false);
    }
    AcmeResponse response = jsonResponse(status, body);
    addHeader(response, "Location", url("/acme/order/" + order.id));
    if (order.status == OrderStatus::Processing) {
        addHeader(response, "Retry-After", "2");
    }
    return response;
}

Checked<AcmeResponse> AcmeServer::Impl::order(const SignedRequest& request, std::string_view id) {
    auto owned = ownedOrder(request, id);
    if (auto* failed = std::get_if<Problem>(&owned)) {
        return *failed;
    }
    return orderResponse(std::get<OrderRecord>(owned), 200);
}

Checked<AcmeResponse> AcmeServer::Impl::finalize(const SignedRequest& request, std::string_view id) {
    auto owned = ownedOrder(request, id);
    if (auto* failed = std::get_if<Problem>(&owned)) {
        return *failed;
    }
    OrderRecord order = std::get<OrderRecord>(std::move(owned));
    const auto csrText = request.payload.find("csr");
    if (request.postAsGet || csrText == request.payload.end() || !csrText->is_string()) {
        return malformed("finalize needs {csr}");
    }
    auto csr = crypto::base64UrlDecode(csrText->get_ref<const std::string&>());
    if (!csr) {
        return problemOf(400, "badCSR", "csr is not base64url");
    }
    {
        const std::lock_guard lock(m_stateMutex);
        auto current = m_store.findOrder(order.id);
        if (!current || !current->has_value()) {
            return serverInternal(current ? base::makeError(base::ErrorCode::Io, "order vanished") : current.error());
        }
        auto refreshed = refreshOrder(std::move(**current));
        if (!refreshed) {
            return serverInternal(refreshed.error());
        }
        order = std::move(*refreshed);
        if (order.status != OrderStatus::Ready) {
            return problemOf(403, "orderNotReady",
                             "the order is " + std::string(orderStatusName(order.status)) + ", not ready");
        }
        order.status = OrderStatus::Processing;
        if (auto saved = m_store.updateOrder(order); !saved) {
            return serverInternal(saved.error());
        }
        m_issuing.insert(order.id);
    }
    auto backToReady = [&]() {
        const std::lock_guard lock(m_stateMutex);
        m_issuing.erase(order.id);
        order.status = OrderStatus::Ready;
        (void)m_store.updateOrder(order);
    };
    auto accountSpki = request.key.spkiDer();
    if (!accountSpki) {
        backToReady();
        return serverInternal(accountSpki.error());
    }
    IssueRequest issueRequest{*csr, {}, std::move(*accountSpki), m_clock.now()};
    for (const std::string& identifier : order.identifiers) {
        issueRequest.emails.push_back(detail::lowerCase(identifier));
    }
    auto outcome = m_issuer.issue(issueRequest);
    if (!outcome || !outcome->issued) {
        backToReady();
        if (!outcome) {
            return serverInternal(outcome.error());
        }
        if (!outcome->refused) {
            return serverInternal(base::makeError(base::ErrorCode::CryptoFailure, "the issuer answered nothing"));
        }
        const bool badKey = outcome->refused->problem == CsrProblem::BadPublicKey;
        return problemOf(400, badKey ? "badPublicKey" : "badCSR", outcome->refused->detail);
    }
    return finishIssuance(std::move(order), request, *outcome->issued);
}

Checked<AcmeResponse> AcmeServer::Impl::finishIssuance(OrderRecord order, const SignedRequest& request,
                                                       const IssuedCertificate& issued) {
    CertificateRecord record;
    auto certificateId = detail::randomToken(kIdBytes);
    if (!certificateId) {
        const std::lock_guard lock(m_stateMutex);
        m_issuing.erase(order.id);
        order.status = OrderStatus::Ready;
        (void)m_store.updateOrder(order);
        return serverInternal(certificateId.error());
    }
    record.id = std::move(*certificateId);
    record.accountId = request.account->id;
    record.orderId = order.id;
    record.leafDer = issued.leaf.der();
    for (const crypto::Certificate& c : issued.chain) {
        record.chainDer.push_back(c.der());
    }
    record.serialHex = issued.leaf.serialHex();
    record.certId = issued.ariCertId;
    record.fingerprint = issued.leaf.sha256Fingerprint();
    record.notBefore = detail::toUnixSeconds(issued.leaf.notBefore());
    record.notAfter = detail::toUnixSeconds(issued.leaf.notAfter());
    record.issuedAt = now();
    order.status = OrderStatus::Valid;
    order.certificateId = record.id;
    {
        const std::lock_guard lock(m_stateMutex);
        m_issuing.erase(order.id);
        if (auto stored = m_store.storeCertificate(record, order); !stored) {
            order.status = OrderStatus::Ready;
            order.certificateId.clear();
            (void)m_store.updateOrder(order);
            return serverInternal(stored.error());
        }
    }
    if (m_onIssued) {
        m_onIssued(issued);
    }
    return orderResponse(order, 200);
}

} // namespace sealpost::ca::acme
