#pragma once

#include <string>
#include <string_view>

namespace sealpost::base {

// Percent-encodes `text` byte by byte (RFC 3986 section 2.1, upper-case hex): ASCII letters and
// digits and the characters in `keep` stay, every other byte becomes %XX. The caller's context
// decides `keep`: "-._~" for RFC 3986's unreserved set, RFC 2231's attribute-char set for MIME
// parameters, and so on.
[[nodiscard]] std::string percentEncode(std::string_view text, std::string_view keep);

} // namespace sealpost::base
