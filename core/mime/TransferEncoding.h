#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstddef>
#include <cstdint>
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

// decodeBase64 in pieces, for input that is streamed: the same language and the same errors
// (offsets count from the start of the first piece).
class Base64Decoder {
public:
    // Room `out` needs for decoding `textSize` characters (whatever was fed before).
    [[nodiscard]] static constexpr std::size_t maxDecodedSize(std::size_t textSize) noexcept {
        return (textSize + 3) / 4 * 3;
    }
    // Decodes the next piece into `out` (maxDecodedSize(text.size()) bytes of room) and returns how
    // many bytes it wrote; a quad split between pieces is completed by the next one.
    [[nodiscard]] base::Result<std::size_t> decode(std::string_view text, std::uint8_t* out);
    // After the last piece: MalformedInput when it ended inside a quad.
    [[nodiscard]] base::Result<void> finish() const;

private:
    std::uint32_t m_quad = 0;
    std::size_t m_symbols = 0; // alphabet characters in the current quad
    std::size_t m_padding = 0;
    bool m_finished = false; // a padded quad ends the data
    std::size_t m_offset = 0;
};

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
