#include "keydir/HttpRules.h"

#include <algorithm>
#include <charconv>

namespace sealpost::keydir {
namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

int hexDigit(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Calls f(element) for each comma-separated element of a header value.
template <typename F> void forEachElement(std::string_view value, F&& f) {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        f(trim(value.substr(0, comma)));
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
}

// Specificity of a media range for a type: 3 exact, 2 "type/*", 1 "*/*", 0 no match.
int specificity(std::string_view range, std::string_view type) noexcept {
    if (iequals(range, type)) {
        return 3;
    }
    if (range == "*/*") {
        return 1;
    }
    const std::size_t slash = type.find('/');
    if (range.size() == slash + 2 && range.ends_with("/*") && iequals(range.substr(0, slash), type.substr(0, slash))) {
        return 2;
    }
    return 0;
}

double quality(std::string_view params) noexcept {
    std::size_t pos = 0;
    while (pos < params.size()) {
        const std::size_t semi = params.find(';', pos);
        const std::string_view param = trim(params.substr(pos, semi == std::string_view::npos ? semi : semi - pos));
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            double q = 0;
            const std::string_view digits = param.substr(2);
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), q);
            return ec == std::errc{} && end == digits.data() + digits.size() ? std::clamp(q, 0.0, 1.0) : 0.0;
        }
        if (semi == std::string_view::npos) {
            break;
        }
        pos = semi + 1;
    }
    return 1.0;
}

// The quality the Accept header gives `type`: that of the most specific matching range.
double qualityFor(std::string_view accept, std::string_view type) noexcept {
    int best = 0;
    double q = 0;
    forEachElement(accept, [&](std::string_view element) {
        const std::size_t semi = element.find(';');
        const std::string_view range = trim(element.substr(0, semi));
        const int s = specificity(range, type);
        if (s > best) {
            best = s;
            q = semi == std::string_view::npos ? 1.0 : quality(element.substr(semi + 1));
        }
    });
    return q;
}

} // namespace

std::optional<std::string> percentDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int hi = hexDigit(text[i + 1]);
        const int lo = hexDigit(text[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

Preferred negotiate(std::optional<std::string_view> accept, bool certsOnlyOffered) noexcept {
    if (!accept || trim(*accept).empty()) {
        return Preferred::JsonAnswer;
    }
    const double json = qualityFor(*accept, "application/json");
    const double certsOnly = certsOnlyOffered ? qualityFor(*accept, "application/pkcs7-mime") : 0.0;
    if (certsOnly > json) {
        return Preferred::CertsOnly;
    }
    return json > 0 ? Preferred::JsonAnswer : Preferred::None;
}

bool etagMatches(std::string_view ifNoneMatch, std::string_view etag) noexcept {
    bool match = false;
    forEachElement(ifNoneMatch, [&](std::string_view tag) {
        if (tag.starts_with("W/")) {
            tag.remove_prefix(2);
        }
        match = match || tag == "*" || tag == etag;
    });
    return match;
}

std::string mediaType(std::string_view contentType) {
    std::string out(trim(contentType.substr(0, contentType.find(';'))));
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

std::optional<std::string> mediaParameter(std::string_view contentType, std::string_view name) {
    std::size_t semi = contentType.find(';');
    while (semi != std::string_view::npos) {
        const std::size_t next = contentType.find(';', semi + 1);
        const std::string_view param =
            trim(contentType.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1));
        const std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), name)) {
            std::string_view value = trim(param.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            return mediaType(value);
        }
        semi = next;
    }
    return std::nullopt;
}

std::string_view clientAddress(std::string_view peer, std::optional<std::string_view> forwardedFor,
                               bool trustForwardedFor) noexcept {
    if (!trustForwardedFor || !forwardedFor) {
        return peer;
    }
    const std::size_t comma = forwardedFor->rfind(',');
    const std::string_view last =
        trim(comma == std::string_view::npos ? *forwardedFor : forwardedFor->substr(comma + 1));
    return last.empty() ? peer : last;
}

bool secretEquals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    }
    return diff == 0;
}

} // namespace sealpost::keydir
