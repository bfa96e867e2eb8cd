#include "acme/AcmeJson.h"

#include "acme/HttpHeaders.h"

#include <array>
#include <nlohmann/json.hpp>

namespace sealpost::acme {

std::string_view AcmeProblem::acmeType() const noexcept {
    constexpr std::string_view prefix = "urn:ietf:params:acme:error:";
    const std::string_view t = type;
    return t.starts_with(prefix) ? t.substr(prefix.size()) : std::string_view{};
}

const Challenge* Authorization::challenge(std::string_view type) const {
    for (const auto& c : challenges) {
        if (c.type == type) {
            return &c;
        }
    }
    return nullptr;
}

namespace {

constexpr std::array<std::string_view, 5> orderStatusNames = {"pending", "ready", "processing", "valid", "invalid"};
constexpr std::array<std::string_view, 6> authorizationStatusNames = {"pending",     "valid",   "invalid",
                                                                      "deactivated", "expired", "revoked"};
constexpr std::array<std::string_view, 4> challengeStatusNames = {"pending", "processing", "valid", "invalid"};

} // namespace

std::string_view orderStatusName(OrderStatus status) noexcept {
    return orderStatusNames.at(static_cast<std::size_t>(status));
}
std::string_view authorizationStatusName(AuthorizationStatus status) noexcept {
    return authorizationStatusNames.at(static_cast<std::size_t>(status));
}
std::string_view challengeStatusName(ChallengeStatus status) noexcept {
    return challengeStatusNames.at(static_cast<std::size_t>(status));
}

namespace detail {

using base::ErrorCode;
using nlohmann::json;

namespace {

base::Error protocolError(std::string_view what, std::string_view member, std::string_view problem) {
    return base::makeError(ErrorCode::ProtocolError,
                           std::string(what) + ": member \"" + std::string(member) + "\" " + std::string(problem));
}

base::Result<json> parseObject(std::string_view body, std::string_view what) {
    json parsed = json::parse(body.begin(), body.end(), nullptr, false);
    if (parsed.is_discarded()) {
        return base::makeError(ErrorCode::MalformedInput, std::string(what) + ": not JSON");
    }
    if (!parsed.is_object()) {
        return base::makeError(ErrorCode::MalformedInput, std::string(what) + ": not a JSON object");
    }
    return parsed;
}

// A string member; `required` makes its absence an error. Wrong types always are.
base::Result<std::string> stringMember(const json& object, std::string_view member, std::string_view what,
                                       bool required) {
    const auto it = object.find(member);
    if (it == object.end() || it->is_null()) {
        if (required) {
            return protocolError(what, member, "is missing");
        }
        return std::string{};
    }
    if (!it->is_string()) {
        return protocolError(what, member, "is not a string");
    }
    return it->get<std::string>();
}

base::Result<std::vector<std::string>> stringArray(const json& object, std::string_view member, std::string_view what,
                                                   bool required) {
    std::vector<std::string> out;
    const auto it = object.find(member);
    if (it == object.end() || it->is_null()) {
        if (required) {
            return protocolError(what, member, "is missing");
        }
        return out;
    }
    if (!it->is_array()) {
        return protocolError(what, member, "is not an array");
    }
    for (const auto& element : *it) {
        if (!element.is_string()) {
            return protocolError(what, member, "holds a non-string");
        }
        out.push_back(element.get<std::string>());
    }
    return out;
}

base::Result<std::optional<base::TimePoint>> timeMember(const json& object, std::string_view member,
                                                        std::string_view what) {
    auto text = stringMember(object, member, what, false);
    if (!text) {
        return text.error();
    }
    if (text->empty()) {
        return std::optional<base::TimePoint>{};
    }
    const auto parsed = parseRfc3339(*text);
    if (!parsed) {
        return protocolError(what, member, "is not an RFC 3339 date-time");
    }
    return std::optional<base::TimePoint>(*parsed);
}

std::optional<Identifier> identifierOf(const json& value) {
    if (!value.is_object()) {
        return std::nullopt;
    }
    const auto type = value.find("type");
    const auto v = value.find("value");
    if (type == value.end() || v == value.end() || !type->is_string() || !v->is_string()) {
        return std::nullopt;
    }
    return Identifier{type->get<std::string>(), v->get<std::string>()};
}

base::Result<Identifier> identifierMember(const json& object, std::string_view member, std::string_view what) {
    const auto it = object.find(member);
    if (it == object.end()) {
        return protocolError(what, member, "is missing");
    }
    auto id = identifierOf(*it);
    if (!id) {
        return protocolError(what, member, "is not an identifier {type, value}");
    }
    return *id;
}

template <typename Enum, std::size_t N>
base::Result<Enum> statusMember(const json& object, const std::array<std::string_view, N>& names,
                                std::string_view what) {
    auto text = stringMember(object, "status", what, true);
    if (!text) {
        return text.error();
    }
    for (std::size_t i = 0; i < N; ++i) {
        if (names.at(i) == *text) {
            return static_cast<Enum>(i);
        }
    }
    return protocolError(what, "status", "has an unknown value \"" + *text + "\"");
}

std::optional<AcmeProblem> problemOf(const json& doc, int httpStatus) {
    if (!doc.is_object()) {
        return std::nullopt;
    }
    AcmeProblem problem;
    problem.type = "about:blank";
    problem.status = httpStatus;
    if (const auto it = doc.find("type"); it != doc.end() && it->is_string()) {
        problem.type = it->get<std::string>();
    }
    if (const auto it = doc.find("detail"); it != doc.end() && it->is_string()) {
        problem.detail = it->get<std::string>();
    }
    if (const auto it = doc.find("status"); it != doc.end() && it->is_number_integer()) {
        problem.status = it->get<int>();
    }
    if (const auto it = doc.find("algorithms"); it != doc.end() && it->is_array()) {
        for (const auto& a : *it) {
            if (a.is_string()) {
                problem.algorithms.push_back(a.get<std::string>());
            }
        }
    }
    if (const auto it = doc.find("subproblems"); it != doc.end() && it->is_array()) {
        for (const auto& sub : *it) {
            if (!sub.is_object()) {
                continue;
            }
            AcmeSubproblem s;
            if (const auto t = sub.find("type"); t != sub.end() && t->is_string()) {
                s.type = t->get<std::string>();
            }
            if (const auto d = sub.find("detail"); d != sub.end() && d->is_string()) {
                s.detail = d->get<std::string>();
            }
            if (const auto i = sub.find("identifier"); i != sub.end()) {
                s.identifier = identifierOf(*i);
            }
            problem.subproblems.push_back(std::move(s));
        }
    }
    return problem;
}

base::Result<std::optional<AcmeProblem>> errorMember(const json& object, std::string_view what) {
    const auto it = object.find("error");
    if (it == object.end() || it->is_null()) {
        return std::optional<AcmeProblem>{};
    }
    if (!it->is_object()) {
        return protocolError(what, "error", "is not a problem document");
    }
    return problemOf(*it, 0);
}

base::Result<Challenge> challengeOf(const json& object) {
    constexpr std::string_view what = "challenge";
    if (!object.is_object()) {
        return base::makeError(ErrorCode::ProtocolError, "challenge: not a JSON object");
    }
    Challenge c;
    auto url = stringMember(object, "url", what, true);
    auto type = stringMember(object, "type", what, true);
    auto status = statusMember<ChallengeStatus>(object, challengeStatusNames, what);
    auto token = stringMember(object, "token", what, false);
    auto from = stringMember(object, "from", what, false);
    auto validated = timeMember(object, "validated", what);
    auto error = errorMember(object, what);
    for (const base::Error* e :
         {url ? nullptr : &url.error(), type ? nullptr : &type.error(), status ? nullptr : &status.error(),
          token ? nullptr : &token.error(), from ? nullptr : &from.error(), validated ? nullptr : &validated.error(),
          error ? nullptr : &error.error()}) {
        if (e != nullptr) {
            return *e;
        }
    }
    c.url = std::move(*url);
    c.type = std::move(*type);
    c.status = *status;
    c.token = std::move(*token);
    c.from = std::move(*from);
    c.validated = *validated;
    c.error = std::move(*error);
    c.json = object.dump();
    return c;
}

} // namespace

std::optional<AcmeProblem> parseProblem(std::string_view body, int httpStatus) {
    const json doc = json::parse(body.begin(), body.end(), nullptr, false);
    if (doc.is_discarded()) {
        return std::nullopt;
    }
    return problemOf(doc, httpStatus);
}

std::string describeProblem(const AcmeProblem& problem) {
    std::string text = problem.type;
    if (!problem.detail.empty()) {
        text += ": " + problem.detail;
    }
    if (!problem.algorithms.empty()) {
        text += " (accepted algorithms:";
        for (const auto& a : problem.algorithms) {
            text += " " + a;
        }
        text += ")";
    }
    if (!problem.subproblems.empty()) {
        text += " [";
        bool first = true;
        for (const auto& s : problem.subproblems) {
            text += first ? "" : "; ";
            first = false;
            if (s.identifier) {
                text += s.identifier->type + " " + s.identifier->value + ": ";
            }
            text += s.type;
            if (!s.detail.empty()) {
                text += ": " + s.detail;
            }
        }
        text += "]";
    }
    return text;
}

base::Result<Directory> parseDirectory(std::string_view body) {
    constexpr std::string_view what = "directory";
    auto doc = parseObject(body, what);
    if (!doc) {
        return doc.error();
    }
    Directory d;
    struct Field {
        std::string_view name;
        std::string* target;
        bool required;
    };
    const std::array<Field, 6> fields = {{{"newNonce", &d.newNonce, true},
                                          {"newAccount", &d.newAccount, true},
                                          {"newOrder", &d.newOrder, true},
                                          {"revokeCert", &d.revokeCert, false},
                                          {"keyChange", &d.keyChange, false},
                                          {"renewalInfo", &d.renewalInfo, false}}};
    for (const auto& f : fields) {
        auto value = stringMember(*doc, f.name, what, f.required);
        if (!value) {
            return value.error();
        }
        *f.target = std::move(*value);
    }
    if (const auto meta = doc->find("meta"); meta != doc->end() && !meta->is_null()) {
        if (!meta->is_object()) {
            return protocolError(what, "meta", "is not an object");
        }
        auto tos = stringMember(*meta, "termsOfService", "directory meta", false);
        auto website = stringMember(*meta, "website", "directory meta", false);
        auto caa = stringArray(*meta, "caaIdentities", "directory meta", false);
        if (!tos || !website || !caa) {
            return !tos ? tos.error() : (!website ? website.error() : caa.error());
        }
        d.termsOfService = std::move(*tos);
        d.website = std::move(*website);
        d.caaIdentities = std::move(*caa);
        if (const auto ear = meta->find("externalAccountRequired"); ear != meta->end() && !ear->is_null()) {
            if (!ear->is_boolean()) {
                return protocolError("directory meta", "externalAccountRequired", "is not a boolean");
            }
            d.externalAccountRequired = ear->get<bool>();
        }
    }
    return d;
}

base::Result<Account> parseAccount(std::string_view body) {
    constexpr std::string_view what = "account";
    auto doc = parseObject(body, what);
    if (!doc) {
        return doc.error();
    }
    Account a;
    auto status = stringMember(*doc, "status", what, true);
    auto contact = stringArray(*doc, "contact", what, false);
    auto orders = stringMember(*doc, "orders", what, false);
    if (!status || !contact || !orders) {
        return !status ? status.error() : (!contact ? contact.error() : orders.error());
    }
    a.status = std::move(*status);
    a.contact = std::move(*contact);
    a.orders = std::move(*orders);
    return a;
}

base::Result<Order> parseOrder(std::string_view body) {
    constexpr std::string_view what = "order";
    auto doc = parseObject(body, what);
    if (!doc) {
        return doc.error();
    }
    Order o;
    auto status = statusMember<OrderStatus>(*doc, orderStatusNames, what);
    if (!status) {
        return status.error();
    }
    o.status = *status;
    auto expires = timeMember(*doc, "expires", what);
    auto authorizations = stringArray(*doc, "authorizations", what, true);
    auto finalizeUrl = stringMember(*doc, "finalize", what, true);
    auto certificate = stringMember(*doc, "certificate", what, false);
    auto replaces = stringMember(*doc, "replaces", what, false);
    auto error = errorMember(*doc, what);
    for (const base::Error* e :
         {expires ? nullptr : &expires.error(), authorizations ? nullptr : &authorizations.error(),
          finalizeUrl ? nullptr : &finalizeUrl.error(), certificate ? nullptr : &certificate.error(),
          replaces ? nullptr : &replaces.error(), error ? nullptr : &error.error()}) {
        if (e != nullptr) {
            return *e;
        }
    }
    o.expires = *expires;
    o.authorizations = std::move(*authorizations);
    o.finalize = std::move(*finalizeUrl);
    o.certificate = std::move(*certificate);
    o.replaces = std::move(*replaces);
    o.error = std::move(*error);
    const auto ids = doc->find("identifiers");
    if (ids == doc->end() || !ids->is_array()) {
        return protocolError(what, "identifiers", ids == doc->end() ? "is missing" : "is not an array");
    }
    for (const auto& id : *ids) {
        auto parsed = identifierOf(id);
        if (!parsed) {
            return protocolError(what, "identifiers", "holds something that is not an identifier");
        }
        o.identifiers.push_back(std::move(*parsed));
    }
    if (o.status == OrderStatus::Valid && o.certificate.empty()) {
        return protocolError(what, "certificate", "is missing from a valid order");
    }
    return o;
}

base::Result<Authorization> parseAuthorization(std::string_view body) {
    constexpr std::string_view what = "authorization";
    auto doc = parseObject(body, what);
    if (!doc) {
        return doc.error();
    }
    Authorization a;
    auto identifier = identifierMember(*doc, "identifier", what);
    auto status = statusMember<AuthorizationStatus>(*doc, authorizationStatusNames, what);
    auto expires = timeMember(*doc, "expires", what);
    if (!identifier || !status || !expires) {
        return !identifier ? identifier.error() : (!status ? status.error() : expires.error());
    }
    a.identifier = std::move(*identifier);
    a.status = *status;
    a.expires = *expires;
    if (const auto w = doc->find("wildcard"); w != doc->end() && w->is_boolean()) {
        a.wildcard = w->get<bool>();
    }
    const auto challenges = doc->find("challenges");
    if (challenges == doc->end() || !challenges->is_array()) {
        return protocolError(what, "challenges", challenges == doc->end() ? "is missing" : "is not an array");
    }
    for (const auto& c : *challenges) {
        auto parsed = challengeOf(c);
        if (!parsed) {
            return parsed.error();
        }
        a.challenges.push_back(std::move(*parsed));
    }
    return a;
}

base::Result<Challenge> parseChallenge(std::string_view body) {
    auto doc = parseObject(body, "challenge");
    if (!doc) {
        return doc.error();
    }
    return challengeOf(*doc);
}

base::Result<RenewalInfo> parseRenewalInfo(std::string_view body) {
    constexpr std::string_view what = "renewalInfo";
    auto doc = parseObject(body, what);
    if (!doc) {
        return doc.error();
    }
    const auto window = doc->find("suggestedWindow");
    if (window == doc->end() || !window->is_object()) {
        return protocolError(what, "suggestedWindow", window == doc->end() ? "is missing" : "is not an object");
    }
    RenewalInfo info;
    auto start = timeMember(*window, "start", "renewalInfo suggestedWindow");
    auto end = timeMember(*window, "end", "renewalInfo suggestedWindow");
    auto explanation = stringMember(*doc, "explanationURL", what, false);
    if (!start || !end || !explanation) {
        return !start ? start.error() : (!end ? end.error() : explanation.error());
    }
    if (!*start || !*end) {
        return protocolError("renewalInfo suggestedWindow", !*start ? "start" : "end", "is missing");
    }
    if (**end < **start) {
        return protocolError("renewalInfo suggestedWindow", "end", "is before start");
    }
    info.windowStart = **start;
    info.windowEnd = **end;
    info.explanationUrl = std::move(*explanation);
    return info;
}

} // namespace detail
} // namespace sealpost::acme
