#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Locale-independent ASCII helpers. MIME syntax is defined on octets, so <cctype> (which depends
// on the C locale and is undefined for negative chars) is deliberately not used.
namespace sealpost::mime {

[[nodiscard]] constexpr char toLowerAscii(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] constexpr bool isWsp(char c) noexcept {
    return c == ' ' || c == '\t';
}

[[nodiscard]] inline std::string toLowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = toLowerAscii(c);
    }
    return out;
}

[[nodiscard]] constexpr bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (toLowerAscii(a[i]) != toLowerAscii(b[i])) {
            return false;
        }
    }
    return true;
}

[[nodiscard]] constexpr std::string_view trimWsp(std::string_view s) noexcept {
    while (!s.empty() && isWsp(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && isWsp(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace sealpost::mime
