#pragma once

#include <string>
#include <string_view>

namespace sealpost::mime {

// Lone LF and lone CR become CRLF; existing CRLF pairs are kept. Signed text must be in this
// canonical form (RFC 5751 3.1.1) before it is hashed.
[[nodiscard]] std::string toCrlf(std::string_view text);

// What a body needs before it can be signed, found in one pass over it.
struct TextShape {
    bool crlfCanonical = true; // every CR is followed by LF and every LF is preceded by CR
    bool sevenBitSafe = true;  // see isSevenBitSafe()
};
[[nodiscard]] TextShape analyzeText(std::string_view text) noexcept;

// True when every CR is followed by LF and every LF is preceded by CR.
[[nodiscard]] bool isCrlfCanonical(std::string_view text) noexcept;

// No octet >= 0x80, no NUL, no line longer than 998 octets (line ending excluded), i.e. safe to
// send as 7bit without a transfer encoding (RFC 5322 2.1.1, RFC 2045 2.7).
[[nodiscard]] bool isSevenBitSafe(std::string_view text) noexcept;

} // namespace sealpost::mime
