#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mime {

// The addr-specs ("local@domain") of an address-list header value such as From or To, in order.
// Display names, quoted strings, comments, route prefixes and groups (including empty ones) are
// handled; the domain is lower-cased, the local part kept as written (quotes included).
// Returns an empty vector when any element is not a valid address: a half-understood From line
// must not yield an address that a signature check could then match.
[[nodiscard]] std::vector<std::string> parseAddressList(std::string_view headerValue);

// ASCII case-insensitive comparison of two addr-specs (surrounding whitespace ignored).
// Two empty addresses are not the same address.
[[nodiscard]] bool sameAddress(std::string_view a, std::string_view b);

} // namespace sealpost::mime
