#pragma once

#include <map>
#include <string>
#include <string_view>

namespace sealpost::mime {

// A parsed Content-Type value (RFC 2045 5.1, RFC 2231 parameter continuations).
struct ContentType {
    std::string type = "text";     // lower-case
    std::string subtype = "plain"; // lower-case
    // Lower-case names, unquoted values. When a name repeats, the first occurrence wins, so every
    // consumer of the same header agrees on e.g. the boundary.
    std::map<std::string, std::string> params;

    // "" if absent; name is case-insensitive.
    [[nodiscard]] std::string param(std::string_view name) const;
    // Case-insensitive.
    [[nodiscard]] bool is(std::string_view type, std::string_view subtype) const;
    // "type/subtype".
    [[nodiscard]] std::string mimeType() const;

    // Accepts a raw (folded) or unfolded value. Falls back to text/plain without parameters when
    // type or subtype cannot be read (RFC 2045 5.2); a broken parameter is skipped.
    [[nodiscard]] static ContentType parse(std::string_view headerValue);
};

} // namespace sealpost::mime
