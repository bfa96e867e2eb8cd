#include "mime/TransferEncoding.h"

#include "mime/Ascii.h"
#include "mime/MimeEntity.h"

#include <array>
#include <cstdint>

namespace sealpost::mime {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kHexDigits = "0123456789ABCDEF";
constexpr std::size_t kQpMaxLine = 76;

constexpr std::int8_t kInvalid = -1;
constexpr std::int8_t kSkip = -2;
constexpr std::int8_t kPad = -3;

constexpr std::array<std::int8_t, 256> makeBase64Table() {
    std::array<std::int8_t, 256> table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
        table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
    }
    for (const char c : std::string_view(" \t\r\n")) {
        table[static_cast<unsigned char>(c)] = kSkip;
    }
    table['='] = kPad;
    return table;
}

constexpr std::array<std::int8_t, 256> kBase64Table = makeBase64Table();

[[nodiscard]] int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const char l = toLowerAscii(c);
    return (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
}

[[nodiscard]] base::Error base64Error(std::string detail) {
    return makeError(ErrorCode::MalformedInput, "base64: " + std::move(detail));
}

// Decodes into any byte container, so decodeBody can fill its std::string without a second copy.
template <typename Output> base::Result<void> decodeBase64Into(std::string_view text, Output& out) {
    out.resize(Base64Decoder::maxDecodedSize(text.size()));
    Base64Decoder decoder;
    auto n = decoder.decode(text, reinterpret_cast<std::uint8_t*>(out.data()));
    if (!n) {
        return n.error();
    }
    out.resize(*n);
    return decoder.finish();
}

} // namespace

base::Result<std::size_t> Base64Decoder::decode(std::string_view text, std::uint8_t* out) {
    std::uint8_t* const begin = out;
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        // Fast path: whole quads of alphabet characters between two quads.
        if (m_symbols == 0 && m_padding == 0 && !m_finished) {
            while (i + 4 <= size) {
                const std::int8_t a = kBase64Table[static_cast<unsigned char>(text[i])];
                const std::int8_t b = kBase64Table[static_cast<unsigned char>(text[i + 1])];
                const std::int8_t c = kBase64Table[static_cast<unsigned char>(text[i + 2])];
                const std::int8_t d = kBase64Table[static_cast<unsigned char>(text[i + 3])];
                if ((a | b | c | d) < 0) {
                    break; // whitespace, padding or an invalid character: the careful loop below
                }
                const auto quad = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                                  (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
                out[0] = static_cast<std::uint8_t>(quad >> 16);
                out[1] = static_cast<std::uint8_t>(quad >> 8);
                out[2] = static_cast<std::uint8_t>(quad);
                out += 3;
                i += 4;
            }
            if (i == size) {
                break;
            }
        }
        const auto u = static_cast<unsigned char>(text[i]);
        const std::int8_t v = kBase64Table[u];
        const std::size_t at = m_offset + i;
        ++i;
        if (v == kSkip) {
            continue;
        }
        if (v == kInvalid) {
            return base64Error("invalid character 0x" + std::string{kHexDigits[u >> 4], kHexDigits[u & 0xF]} +
                               " at offset " + std::to_string(at));
        }
        if (m_finished || (v != kPad && m_padding > 0)) {
            return base64Error("data after padding at offset " + std::to_string(at));
        }
        if (v == kPad) {
            if (m_symbols < 2) { // only "xx==" and "xxx=" are valid
                return base64Error("misplaced padding at offset " + std::to_string(at));
            }
            ++m_padding;
        } else {
            m_quad = (m_quad << 6) | static_cast<std::uint32_t>(v);
            ++m_symbols;
        }
        if (m_symbols + m_padding == 4) {
            m_quad <<= 6 * m_padding;
            *out++ = static_cast<std::uint8_t>(m_quad >> 16);
            if (m_symbols > 2) {
                *out++ = static_cast<std::uint8_t>(m_quad >> 8);
            }
            if (m_symbols > 3) {
                *out++ = static_cast<std::uint8_t>(m_quad);
            }
            m_finished = m_padding > 0;
            m_quad = 0;
            m_symbols = 0;
            m_padding = 0;
        }
    }
    m_offset += size;
    return static_cast<std::size_t>(out - begin);
}

base::Result<void> Base64Decoder::finish() const {
    if (m_symbols != 0 || m_padding != 0) {
        return base64Error("truncated input (length is not a multiple of 4)");
    }
    return {};
}

base::Result<base::Bytes> decodeBase64(std::string_view text) {
    base::Bytes out;
    if (auto decoded = decodeBase64Into(text, out); !decoded) {
        return decoded.error();
    }
    return out;
}

std::string decodeQuotedPrintable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '=') {
            if (i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
                out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
                i += 3;
                continue;
            }
            // Soft line break: "=" [WSP...] line break, or "=" at the very end.
            std::size_t j = i + 1;
            while (j < text.size() && isWsp(text[j])) {
                ++j;
            }
            if (j == text.size()) {
                break;
            }
            if (text[j] == '\n' || (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n')) {
                i = j + (text[j] == '\r' ? 2 : 1);
                continue;
            }
            out.push_back('='); // lenient: keep an invalid "=" literally
            ++i;
            continue;
        }
        if (isWsp(c)) {
            std::size_t j = i;
            while (j < text.size() && isWsp(text[j])) {
                ++j;
            }
            const bool atLineEnd =
                j == text.size() || text[j] == '\n' || (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n');
            if (!atLineEnd) {
                out.append(text.substr(i, j - i));
            }
            i = j;
            continue;
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

base::Result<std::string> decodeBody(const MimeEntity& entity) {
    const std::string& encoding = entity.transferEncoding;
    if (encoding == "base64") {
        std::string out;
        if (auto decoded = decodeBase64Into(entity.body, out); !decoded) {
            return decoded.error();
        }
        return out;
    }
    if (encoding == "quoted-printable") {
        return decodeQuotedPrintable(entity.body);
    }
    if (encoding.empty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary") {
        return std::string(entity.body);
    }
    return makeError(ErrorCode::Unsupported, "unknown Content-Transfer-Encoding: " + encoding);
}

std::string encodeBase64(base::ByteView data, std::size_t lineLength) {
    std::string encoded;
    encoded.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) {
            encoded.push_back(kBase64Alphabet[(v >> shift) & 0x3F]);
        }
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (rest > 1 ? std::uint32_t{data[i + 1]} << 8 : 0U);
        encoded.push_back(kBase64Alphabet[(v >> 18) & 0x3F]);
        encoded.push_back(kBase64Alphabet[(v >> 12) & 0x3F]);
        encoded.push_back(rest > 1 ? kBase64Alphabet[(v >> 6) & 0x3F] : '=');
        encoded.push_back('=');
    }
    if (lineLength == 0) {
        return encoded;
    }
    std::string out;
    out.reserve(encoded.size() + (encoded.size() / lineLength + 1) * 2);
    for (std::size_t pos = 0; pos < encoded.size(); pos += lineLength) {
        out.append(encoded, pos, lineLength);
        out.append("\r\n");
    }
    return out;
}

std::string encodeQuotedPrintable(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 8);
    std::size_t lineLength = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n' || (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n')) {
            i += c == '\r' ? 1 : 0;
            out.append("\r\n");
            lineLength = 0;
            continue;
        }
        const bool lineEndsNext = i + 1 == data.size() || data[i + 1] == '\n' ||
                                  (data[i + 1] == '\r' && i + 2 < data.size() && data[i + 2] == '\n');
        bool literal = (u >= 33 && u <= 126 && c != '=') || (isWsp(c) && !lineEndsNext);
        if (lineLength + (literal ? 1 : 3) > kQpMaxLine - 1) { // keep room for the soft break's "="
            out.append("=\r\n");
            lineLength = 0;
        }
        if (lineLength == 0 && (c == '.' || data.substr(i, 5) == "From ")) {
            literal = false;
        }
        if (literal) {
            out.push_back(c);
            lineLength += 1;
        } else {
            out.push_back('=');
            out.push_back(kHexDigits[u >> 4]);
            out.push_back(kHexDigits[u & 0xF]);
            lineLength += 3;
        }
    }
    return out;
}

} // namespace sealpost::mime
