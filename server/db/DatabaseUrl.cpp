#include "db/DatabaseUrl.h"

#include <cctype>
#include <cstddef>
#include <vector>

namespace sealpost::db {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// The scheme of "scheme:rest" (RFC 3986 letters), or empty. One letter is not a scheme, so
// that a drive letter never reads as one.
std::string_view schemeOf(std::string_view url) {
    const std::size_t colon = url.find(':');
    if (colon == std::string_view::npos || colon < 2 || std::isalpha(static_cast<unsigned char>(url.front())) == 0) {
        return {};
    }
    for (const char c : url.substr(0, colon)) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
            return {};
        }
    }
    return url.substr(0, colon);
}

// The password spellings a URL holds: userinfo's and password= parameters' values.
std::vector<std::string> passwordsIn(std::string_view url) {
    std::vector<std::string> found;
    if (const std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
        const std::size_t start = scheme + 3;
        const std::size_t end = url.find_first_of("/?#", start);
        const std::string_view authority = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
        const std::size_t at = authority.rfind('@');
        if (at != std::string_view::npos) {
            const std::size_t colon = authority.find(':');
            if (colon != std::string_view::npos && colon < at && at > colon + 1) {
                found.emplace_back(authority.substr(colon + 1, at - colon - 1));
            }
        }
    }
    for (std::size_t pos = url.find("password="); pos != std::string_view::npos; pos = url.find("password=", pos + 9)) {
        const std::size_t value = pos + 9;
        const std::size_t end = url.find_first_of("& #", value);
        const std::string_view password = url.substr(value, end == std::string_view::npos ? url.npos : end - value);
        if (!password.empty()) {
            found.emplace_back(password);
        }
    }
    return found;
}

} // namespace

DatabaseUrl parseDatabaseUrl(std::string_view url) {
    if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) {
        return {DatabaseKind::Postgres, std::string(url)};
    }
    if (startsWith(url, "sqlite:")) {
        return {DatabaseKind::Sqlite, std::string(url.substr(7))};
    }
    if (!schemeOf(url).empty()) {
        return {DatabaseKind::Unknown, std::string(url)};
    }
    return {DatabaseKind::Sqlite, std::string(url)};
}

std::string redactPassword(std::string_view url) {
    std::string out(url);
    // scheme://user:password@host...
    if (const std::size_t scheme = out.find("://"); scheme != std::string::npos) {
        const std::size_t start = scheme + 3;
        const std::size_t end = out.find_first_of("/?#", start);
        const std::size_t authorityEnd = end == std::string::npos ? out.size() : end;
        const std::size_t at = out.rfind('@', authorityEnd);
        if (at != std::string::npos && at >= start) {
            const std::size_t colon = out.find(':', start);
            if (colon != std::string::npos && colon < at) {
                out.replace(colon + 1, at - colon - 1, "***");
            }
        }
    }
    // ...?password=secret&... (libpq accepts the password as a query parameter too)
    for (std::size_t pos = out.find("password="); pos != std::string::npos; pos = out.find("password=", pos)) {
        const std::size_t value = pos + 9;
        const std::size_t end = out.find_first_of("& #", value);
        out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
        pos = value + 3;
    }
    return out;
}

std::string scrubPassword(std::string_view text, std::string_view url) {
    std::string out(text);
    for (const auto& password : passwordsIn(url)) {
        for (std::size_t pos = out.find(password); pos != std::string::npos; pos = out.find(password, pos + 3)) {
            out.replace(pos, password.size(), "***");
        }
    }
    return out;
}

} // namespace sealpost::db
