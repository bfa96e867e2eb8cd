// Accounts: newAccount, the account object (update, deactivation), its orders, key rollover.
#include "ca/acme/AcmeFormat.h"
#include "ca/acme/AcmeServerImpl.h"
#include "crypto/Jose.h"

namespace sealpost::ca::acme {
namespace {

constexpr std::size_t kIdBytes = 12;
constexpr std::size_t kMaxContacts = 4;

// "mailto:" URLs of one plain address each (RFC 8555 7.3: no hfields).
Checked<std::vector<std::string>> parseContacts(const nlohmann::json& contact) {
    std::vector<std::string> out;
    if (!contact.is_array()) {
        return malformed("contact must be an array");
    }
    if (contact.size() > kMaxContacts) {
        Problem p = malformed("too many contacts");
        p.type = "invalidContact";
        return p;
    }
    for (const auto& entry : contact) {
        if (!entry.is_string()) {
            return malformed("contact entries must be strings");
        }
        const auto& text = entry.get_ref<const std::string&>();
        if (!text.starts_with("mailto:")) {
            Problem p = malformed("only mailto: contacts are supported");
            p.type = "unsupportedContact";
            return p;
        }
        const std::string_view address = std::string_view(text).substr(7);
        if (!detail::isValidEmail(address)) {
            Problem p = malformed("not a plain email address: " + text);
            p.type = "invalidContact";
            return p;
        }
        out.push_back("mailto:" + detail::normaliseEmail(address));
    }
    return out;
}

AcmeResponse withLocation(AcmeResponse response, std::string location) {
    addHeader(response, "Location", std::move(location));
    return response;
}

} // namespace

nlohmann::json AcmeServer::Impl::accountJson(const AccountRecord& account) const {
    nlohmann::json body = {{"status", accountStatusName(account.status)},
                           {"contact", account.contact},
                           {"orders", url("/acme/acct/" + account.id + "/orders")}};
    if (account.termsAgreed) {
        body["termsOfServiceAgreed"] = true;
    }
    body["key"] = nlohmann::json::parse(account.jwk, nullptr, false);
    return body;
}

Checked<AcmeResponse> AcmeServer::Impl::newAccount(const SignedRequest& request) {
    if (request.postAsGet) {
        return malformed("newAccount needs a payload");
    }
    auto thumbprint = crypto::jwkThumbprint(request.key);
    if (!thumbprint) {
        return serverInternal(thumbprint.error());
    }
    auto existing = m_store.findAccountByThumbprint(*thumbprint);
    if (!existing) {
        return serverInternal(existing.error());
    }
    if (existing->has_value()) {
        const AccountRecord& found = **existing;
        if (found.status != AccountStatus::Valid) {
            return deactivatedAccount(found);
        }
        return withLocation(jsonResponse(200, accountJson(found)), url("/acme/acct/" + found.id));
    }
    if (request.payload.value("onlyReturnExisting", false)) {
        Problem p = malformed("no account has this key");
        p.type = "accountDoesNotExist";
        return p;
    }
    AccountRecord account;
    if (const auto contact = request.payload.find("contact"); contact != request.payload.end()) {
        auto parsed = parseContacts(*contact);
        if (auto* failed = std::get_if<Problem>(&parsed)) {
            return *failed;
        }
        account.contact = std::get<std::vector<std::string>>(std::move(parsed));
    }
    const auto agreed = request.payload.find("termsOfServiceAgreed");
    account.termsAgreed = agreed != request.payload.end() && agreed->is_boolean() && agreed->get<bool>();
    auto id = detail::randomToken(kIdBytes);
    if (!id) {
        return serverInternal(id.error());
    }
    account.id = std::move(*id);
    account.jwk = request.jwkJson;
    account.thumbprint = std::move(*thumbprint);
    account.createdAt = now();
    auto inserted = m_store.insertAccount(account);
    if (!inserted) {
        return serverInternal(inserted.error());
    }
    if (!*inserted) {
        // Another request created an account for this key in the meantime.
        auto raced = m_store.findAccountByThumbprint(account.thumbprint);
        if (!raced || !raced->has_value()) {
            return serverInternal(raced ? base::makeError(base::ErrorCode::Io, "account vanished") : raced.error());
        }
        return withLocation(jsonResponse(200, accountJson(**raced)), url("/acme/acct/" + (*raced)->id));
    }
    return withLocation(jsonResponse(201, accountJson(account)), url("/acme/acct/" + account.id));
}

Checked<AcmeResponse> AcmeServer::Impl::account(const SignedRequest& request, std::string_view id) {
    if (request.account->id != id) {
        return unauthorized("this is not your account");
    }
    AccountRecord account = *request.account;
    if (!request.postAsGet) {
        bool changed = false;
        if (const auto contact = request.payload.find("contact"); contact != request.payload.end()) {
            auto parsed = parseContacts(*contact);
            if (auto* failed = std::get_if<Problem>(&parsed)) {
                return *failed;
            }
            account.contact = std::get<std::vector<std::string>>(std::move(parsed));
            changed = true;
        }
        if (const auto agreed = request.payload.find("termsOfServiceAgreed");
            agreed != request.payload.end() && agreed->is_boolean() && agreed->get<bool>() && !account.termsAgreed) {
            account.termsAgreed = true;
            changed = true;
        }
        if (const auto status = request.payload.find("status"); status != request.payload.end()) {
            if (!status->is_string() || status->get<std::string>() != "deactivated") {
                return malformed("an account can only be deactivated");
            }
            account.status = AccountStatus::Deactivated;
            changed = true;
        }
        if (changed) {
            if (auto saved = m_store.updateAccount(account); !saved) {
                return serverInternal(saved.error());
            }
        }
    }
    return withLocation(jsonResponse(200, accountJson(account)), url("/acme/acct/" + account.id));
}

Checked<AcmeResponse> AcmeServer::Impl::accountOrders(const SignedRequest& request, std::string_view id) {
    if (request.account->id != id) {
        return unauthorized("this is not your account");
    }
    auto ids = m_store.orderIdsOfAccount(id);
    if (!ids) {
        return serverInternal(ids.error());
    }
    nlohmann::json urls = nlohmann::json::array();
    for (const std::string& orderId : *ids) {
        // RFC 8555 7.1.2.1: invalid orders are left out.
        auto found = m_store.findOrder(orderId);
        if (!found) {
            return serverInternal(found.error());
        }
        if (found->has_value() && (*found)->status != OrderStatus::Invalid) {
            urls.push_back(url("/acme/order/" + orderId));
        }
    }
    return jsonResponse(200, {{"orders", urls}});
}

// RFC 8555 7.3.5: the payload is a JWS signed by the new key, naming the account and its old key.
Checked<AcmeResponse> AcmeServer::Impl::keyChange(const SignedRequest& request) {
    if (request.postAsGet) {
        return malformed("key-change needs a payload");
    }
    const std::string inner = request.payload.dump();
    auto headerText = crypto::unverifiedProtectedHeader(inner);
    if (!headerText) {
        return malformed("the payload is not a JWS: " + headerText.error().detail);
    }
    const nlohmann::json header = nlohmann::json::parse(*headerText, nullptr, false);
    if (!header.is_object() || !header.contains("jwk") || !header.at("jwk").is_object() || header.contains("kid") ||
        header.contains("nonce")) {
        return malformed("the inner JWS needs a jwk, and neither kid nor nonce");
    }
    if (!header.contains("url") || header.at("url") != url("/acme/key-change")) {
        return malformed("the inner JWS url must be the key-change URL");
    }
    auto newKey = crypto::parseJwk(header.at("jwk").dump());
    if (!newKey) {
        Problem p = malformed("unusable new key: " + newKey.error().detail);
        p.type = "badPublicKey";
        return p;
    }
    auto verified = crypto::verifyJws(inner, *newKey);
    if (!verified) {
        return malformed("the inner JWS: " + verified.error().detail);
    }
    const nlohmann::json payload = nlohmann::json::parse(base::asString(verified->payload), nullptr, false);
    if (!payload.is_object() || !payload.contains("account") || !payload.contains("oldKey") ||
        !payload.at("oldKey").is_object()) {
        return malformed("the inner payload needs account and oldKey");
    }
    const AccountRecord& account = *request.account;
    if (payload.at("account") != url("/acme/acct/" + account.id)) {
        return unauthorized("the inner payload names another account");
    }
    auto oldKey = crypto::parseJwk(payload.at("oldKey").dump());
    if (!oldKey || !oldKey->sameAs(request.key)) {
        return unauthorized("oldKey is not the account's key");
    }
    auto newJwk = crypto::jwkJson(*newKey);
    auto newThumbprint = crypto::jwkThumbprint(*newKey);
    if (!newJwk || !newThumbprint) {
        return serverInternal(!newJwk ? newJwk.error() : newThumbprint.error());
    }
    auto changed = m_store.changeAccountKey(account.id, *newJwk, *newThumbprint);
    if (!changed) {
        return serverInternal(changed.error());
    }
    if (*changed == KeyChangeOutcome::KeyInUse) {
        Problem p = malformed("the new key belongs to an account already", 409);
        if (auto holder = m_store.findAccountByThumbprint(*newThumbprint); holder && holder->has_value()) {
            p.location = url("/acme/acct/" + (*holder)->id);
        }
        return p;
    }
    AccountRecord updated = account;
    updated.jwk = std::move(*newJwk);
    updated.thumbprint = std::move(*newThumbprint);
    return withLocation(jsonResponse(200, accountJson(updated)), url("/acme/acct/" + account.id));
}

} // namespace sealpost::ca::acme
