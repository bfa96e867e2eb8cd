#include "directory/DirectoryJson.h"

#include "directory/Address.h"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

namespace sealpost::directory {

using Json = nlohmann::json;

namespace {

constexpr int kMaxDepth = 16;        // the deepest answer is 5 levels
constexpr std::size_t kMaxChain = 8; // as the directory accepts
constexpr std::size_t kMaxCertificates = 100;

base::Error protocol(std::string detail) {
    return base::makeError(base::ErrorCode::ProtocolError, "directory answer: " + std::move(detail));
}

// nlohmann's parser recurses per nesting level: refuse deep nesting before parsing.
bool nestingWithin(std::string_view text, int limit) {
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return false;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

base::Result<Json> parseObject(std::string_view body) {
    if (!nestingWithin(body, kMaxDepth)) {
        return protocol("nested too deeply");
    }
    Json json = Json::parse(body, nullptr, false);
    if (json.is_discarded()) {
        return protocol("not JSON");
    }
    if (!json.is_object()) {
        return protocol("not a JSON object");
    }
    return json;
}

const Json* field(const Json& object, const char* name) {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

base::Result<std::string> stringField(const Json& object, const char* name) {
    const Json* value = field(object, name);
    if (value == nullptr || !value->is_string()) {
        return protocol(std::string("\"") + name + "\" missing or not a string");
    }
    return value->get<std::string>();
}

base::Result<base::TimePoint> timeField(const Json& object, const char* name) {
    auto text = stringField(object, name);
    if (!text) {
        return text.error();
    }
    auto t = parseRfc3339(*text);
    if (!t) {
        return protocol(std::string("\"") + name + "\" is not an RFC 3339 time");
    }
    return *t;
}

bool isHex64(std::string_view s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

base::Result<crypto::Certificate> onePem(const Json& value, const char* what) {
    if (!value.is_string()) {
        return protocol(std::string(what) + " is not a string");
    }
    const auto& text = value.get_ref<const std::string&>();
    if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return protocol(std::string(what) + " is not a PEM certificate");
    }
    auto certs = crypto::Certificate::parseAll(base::asBytes(text));
    if (!certs || certs->size() != 1) {
        return protocol(std::string(what) + " is not exactly one PEM certificate");
    }
    return certs->front();
}

base::Result<DirectoryCertificate> parseCertificate(const Json& entry) {
    if (!entry.is_object()) {
        return protocol("a certificate entry is not an object");
    }
    auto fingerprint = stringField(entry, "fingerprint_sha256");
    if (!fingerprint) {
        return fingerprint.error();
    }
    if (!isHex64(*fingerprint)) {
        return protocol("\"fingerprint_sha256\" is not 64 lower-case hex digits");
    }
    const Json* pem = field(entry, "certificate");
    if (pem == nullptr) {
        return protocol("\"certificate\" missing");
    }
    auto cert = onePem(*pem, "\"certificate\"");
    if (!cert) {
        return cert.error();
    }
    if (cert->sha256Fingerprint() != *fingerprint) {
        return protocol("\"fingerprint_sha256\" does not match the certificate");
    }
    DirectoryCertificate out{.certificate = *cert,
                             .chain = {},
                             .fingerprint = *fingerprint,
                             .notBefore = {},
                             .notAfter = {},
                             .provenance = {},
                             .firstPublished = std::nullopt};
    const Json* chain = field(entry, "chain");
    if (chain == nullptr || !chain->is_array()) {
        return protocol("\"chain\" missing or not an array");
    }
    if (chain->size() > kMaxChain) {
        return protocol("\"chain\" has more than 8 certificates");
    }
    for (const Json& c : *chain) {
        auto intermediate = onePem(c, "a \"chain\" entry");
        if (!intermediate) {
            return intermediate.error();
        }
        out.chain.push_back(std::move(*intermediate));
    }
    auto notBefore = timeField(entry, "not_before");
    auto notAfter = notBefore ? timeField(entry, "not_after") : notBefore;
    auto provenance = notAfter ? stringField(entry, "provenance") : base::Result<std::string>(notAfter.error());
    if (!provenance) {
        return provenance.error();
    }
    out.notBefore = *notBefore;
    out.notAfter = *notAfter;
    out.provenance = std::move(*provenance);
    if (field(entry, "first_published") != nullptr) {
        auto published = timeField(entry, "first_published");
        if (!published) {
            return published.error();
        }
        out.firstPublished = *published;
    }
    return out;
}

// The "certificates" and "address_sha256" of one answer for `address`.
base::Result<AddressCertificates> parseAddressEntry(const Json& entry, std::string_view address) {
    if (!entry.is_object()) {
        return protocol("a result is not an object");
    }
    AddressCertificates out{.address = std::string(address), .addressHash = addressHash(address), .certificates = {}};
    auto hash = stringField(entry, "address_sha256");
    if (!hash) {
        return hash.error();
    }
    if (*hash != out.addressHash) {
        return protocol("a result is for another address than asked (" + std::string(address) + ")");
    }
    if (const Json* named = field(entry, "address"); named != nullptr) {
        if (!named->is_string()) {
            return protocol("\"address\" is not a string");
        }
        auto normalised = normaliseAddress(named->get_ref<const std::string&>());
        if (!normalised || *normalised != address) {
            return protocol("a result names another address than asked (" + std::string(address) + ")");
        }
    }
    const Json* certs = field(entry, "certificates");
    if (certs == nullptr || !certs->is_array()) {
        return protocol("\"certificates\" missing or not an array");
    }
    if (certs->size() > kMaxCertificates) {
        return protocol("too many certificates for one address");
    }
    for (const Json& c : *certs) {
        auto parsed = parseCertificate(c);
        if (!parsed) {
            return parsed.error();
        }
        out.certificates.push_back(std::move(*parsed));
    }
    return out;
}

base::Result<SubmissionResult> parseSubmissionEntry(const Json& entry) {
    if (!entry.is_object()) {
        return protocol("a submission result is not an object");
    }
    auto status = stringField(entry, "status");
    if (!status) {
        return status.error();
    }
    SubmissionResult out;
    if (*status == "rejected") {
        auto reason = stringField(entry, "reason");
        if (!reason) {
            return reason.error();
        }
        out.reason = std::move(*reason);
        if (const Json* detail = field(entry, "detail"); detail != nullptr) {
            if (!detail->is_string()) {
                return protocol("\"detail\" is not a string");
            }
            out.detail = detail->get<std::string>();
        }
        return out;
    }
    if (*status != "accepted" && *status != "unchanged") {
        return protocol("unknown submission status \"" + *status + "\"");
    }
    out.status = *status == "accepted" ? SubmissionStatus::Accepted : SubmissionStatus::Unchanged;
    auto fingerprint = stringField(entry, "fingerprint_sha256");
    if (!fingerprint) {
        return fingerprint.error();
    }
    if (!isHex64(*fingerprint)) {
        return protocol("\"fingerprint_sha256\" is not 64 lower-case hex digits");
    }
    out.fingerprint = std::move(*fingerprint);
    const Json* hashes = field(entry, "addresses_sha256");
    if (hashes == nullptr || !hashes->is_array()) {
        return protocol("\"addresses_sha256\" missing or not an array");
    }
    for (const Json& h : *hashes) {
        if (!h.is_string() || !isHex64(h.get_ref<const std::string&>())) {
            return protocol("an \"addresses_sha256\" entry is not an address hash");
        }
        out.addressHashes.push_back(h.get<std::string>());
    }
    return out;
}

bool twoDigits(std::string_view s, std::size_t at, int& out) {
    if (at + 2 > s.size()) {
        return false;
    }
    const auto r = std::from_chars(s.data() + at, s.data() + at + 2, out);
    return r.ec == std::errc() && r.ptr == s.data() + at + 2;
}

} // namespace

std::string_view submissionStatusName(SubmissionStatus status) noexcept {
    switch (status) {
    case SubmissionStatus::Accepted: return "accepted";
    case SubmissionStatus::Unchanged: return "unchanged";
    case SubmissionStatus::Rejected: return "rejected";
    }
    return "unknown";
}

std::optional<base::TimePoint> parseRfc3339(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (s.size() < 20 || std::from_chars(s.data(), s.data() + 4, year).ptr != s.data() + 4 || s[4] != '-' ||
        !twoDigits(s, 5, month) || s[7] != '-' || !twoDigits(s, 8, day) || (s[10] != 'T' && s[10] != 't') ||
        !twoDigits(s, 11, hour) || s[13] != ':' || !twoDigits(s, 14, minute) || s[16] != ':' ||
        !twoDigits(s, 17, second)) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const std::size_t digits = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ++pos;
        }
        if (pos == digits) {
            return std::nullopt;
        }
    }
    int offsetMinutes = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh = 0;
        int om = 0;
        if (!twoDigits(s, pos + 1, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !twoDigits(s, pos + 4, om) ||
            oh > 23 || om > 59) {
            return std::nullopt;
        }
        offsetMinutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size() || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute - offsetMinutes) +
           std::chrono::seconds(std::min(second, 59));
}

base::Result<std::vector<AddressCertificates>> parseLookupResponse(std::string_view body,
                                                                   std::span<const std::string> addresses) {
    auto json = parseObject(body);
    if (!json) {
        return json.error();
    }
    const Json* results = field(*json, "results");
    if (results == nullptr || !results->is_array()) {
        return protocol("\"results\" missing or not an array");
    }
    if (results->size() != addresses.size()) {
        return protocol(std::to_string(results->size()) + " results for " + std::to_string(addresses.size()) +
                        " addresses");
    }
    std::vector<AddressCertificates> out;
    out.reserve(addresses.size());
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        auto entry = parseAddressEntry((*results)[i], addresses[i]);
        if (!entry) {
            return entry.error();
        }
        out.push_back(std::move(*entry));
    }
    return out;
}

base::Result<AddressCertificates> parseCertsResponse(std::string_view body, std::string_view address) {
    auto json = parseObject(body);
    if (!json) {
        return json.error();
    }
    return parseAddressEntry(*json, address);
}

base::Result<SubmissionResult> parseSubmissionResponse(std::string_view body) {
    auto json = parseObject(body);
    if (!json) {
        return json.error();
    }
    if (const Json* results = field(*json, "results"); results != nullptr) {
        if (!results->is_array() || results->size() != 1) {
            return protocol("\"results\" is not an array of one result");
        }
        return parseSubmissionEntry(results->front());
    }
    // A refused single submission may answer with the error body of a 422.
    auto error = stringField(*json, "error");
    if (!error || *error != "rejected") {
        return protocol("neither \"results\" nor a rejection");
    }
    auto reason = stringField(*json, "reason");
    if (!reason) {
        return reason.error();
    }
    SubmissionResult out;
    out.reason = std::move(*reason);
    if (const Json* detail = field(*json, "detail"); detail != nullptr && detail->is_string()) {
        out.detail = detail->get<std::string>();
    }
    return out;
}

base::Result<CanEncrypt> parseCanEncryptResponse(std::string_view body) {
    auto json = parseObject(body);
    if (!json) {
        return json.error();
    }
    const Json* can = field(*json, "can_encrypt");
    if (can == nullptr || !can->is_boolean()) {
        return protocol("\"can_encrypt\" missing or not a boolean");
    }
    CanEncrypt out{.canEncrypt = can->get<bool>(), .validUntil = std::nullopt};
    if (out.canEncrypt) {
        auto until = timeField(*json, "valid_until");
        if (!until) {
            return until.error();
        }
        out.validUntil = *until;
    }
    return out;
}

std::optional<ErrorBody> parseErrorBody(std::string_view body) {
    if (!nestingWithin(body, kMaxDepth)) {
        return std::nullopt;
    }
    const Json json = Json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return std::nullopt;
    }
    const Json* error = field(json, "error");
    if (error == nullptr || !error->is_string()) {
        return std::nullopt;
    }
    ErrorBody out;
    out.error = error->get<std::string>();
    if (const Json* detail = field(json, "detail"); detail != nullptr && detail->is_string()) {
        out.detail = detail->get<std::string>();
    }
    if (const Json* reason = field(json, "reason"); reason != nullptr && reason->is_string()) {
        out.reason = reason->get<std::string>();
    }
    if (const Json* retry = field(json, "retry_after"); retry != nullptr && retry->is_number_unsigned()) {
        out.retryAfter = std::chrono::seconds(retry->get<std::uint64_t>());
    }
    return out;
}

} // namespace sealpost::directory
