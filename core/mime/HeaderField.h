#pragma once

#include <string>
#include <string_view>

namespace sealpost::mime {

// One header field as it appears in the parsed buffer; both views point into that buffer.
struct HeaderField {
    std::string_view name;     // as written (trailing whitespace before the colon removed)
    std::string_view rawValue; // after the colon, including folding line breaks, excluding the final line ending

    // Unfolded (line breaks removed, the whitespace after them kept) and trimmed.
    [[nodiscard]] std::string value() const;
};

// The unfolding rule of HeaderField::value() for any raw header text.
[[nodiscard]] std::string unfoldHeaderValue(std::string_view rawValue);

} // namespace sealpost::mime
