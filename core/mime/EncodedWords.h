#pragma once

// RFC 2047 encoded words in unstructured header text (Subject, display names), for showing them.

#include <string>
#include <string_view>

namespace sealpost::mime {

// The text with every well-formed encoded word (=?charset?B|Q?text?=) decoded to UTF-8; white
// space between two adjacent encoded words is dropped (RFC 2047 6.2). Charsets UTF-8, US-ASCII
// and ISO-8859-1 (any case, with an optional RFC 2231 language suffix) are decoded; a word in
// another charset, a malformed word, or one whose bytes are not valid UTF-8 is kept as it is.
// Never fails; control characters (CR, LF, NUL, ...) in decoded words become spaces.
[[nodiscard]] std::string decodeEncodedWords(std::string_view text);

} // namespace sealpost::mime
