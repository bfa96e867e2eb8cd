#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace sealpost::mime {

struct MimeEntity;

// Decodes entity.body by its Content-Transfer-Encoding: base64 (strict, see decodeBase64),
// quoted-printable (lenient, RFC 2045 6.7 note), 7bit/8bit/binary/empty -> identity,
// anything else -> Unsupported.
[[nodiscard]] base::Result<std::string> decodeBody(const MimeEntity& entity);

// Ignores whitespace and line breaks; any other character outside the alphabet, '=' anywhere but
// in the final one or two positions, or a length that is not a multiple of 4 -> MalformedInput.
[[nodiscard]] base::Result<base::Bytes> decodeBase64(std::string_view text);

// Lenient quoted-printable: invalid "=" sequences are kept literally, trailing whitespace on a
// line is dropped (it may have been added in transport), line breaks are kept as received.
[[nodiscard]] std::string decodeQuotedPrintable(std::string_view text);

// Lines of `lineLength` characters joined with CRLF, final CRLF included; 0 = one line, no CRLF.
[[nodiscard]] std::string encodeBase64(base::ByteView data, std::size_t lineLength = 76);

// CRLF line breaks (input CRLF or bare LF), soft line breaks keep lines <= 76 characters.
// Also encodes "From " and "." at a line start so the text survives mbox and SMTP unchanged,
// which matters for signed content.
[[nodiscard]] std::string encodeQuotedPrintable(std::string_view data);

} // namespace sealpost::mime
