#include "mime/EncodedWords.h"

#include "mime/Ascii.h"
#include "mime/TransferEncoding.h"

#include <optional>

namespace sealpost::mime {

namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// RFC 2047 4.2: "_" is a space, "=XX" a byte; nullopt for a malformed escape.
std::optional<std::string> decodeQ(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '_') {
            out.push_back(' ');
        } else if (c == '=') {
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int hi = hexValue(text[i + 1]);
            const int lo = hexValue(text[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool validUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        unsigned int cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0U) == 0xC0U) {
            n = 1;
            cp = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0U) {
            n = 2;
            cp = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0U) {
            n = 3;
            cp = c & 0x07U;
        } else {
            return false;
        }
        if (i + n >= s.size()) {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0U) != 0x80U) {
                return false;
            }
            cp = (cp << 6U) | (d & 0x3FU);
        }
        // Overlong forms, surrogates and values beyond Unicode are not UTF-8.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

std::string latin1ToUtf8(std::string_view s) {
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back(static_cast<char>(0xC0U | (c >> 6U)));
            out.push_back(static_cast<char>(0x80U | (c & 0x3FU)));
        }
    }
    return out;
}

// The decoded text of one encoded word "=?cs?e?t?=", nullopt when it cannot be decoded.
std::optional<std::string> decodeWord(std::string_view word) {
    const std::string_view inner = word.substr(2, word.size() - 4);
    const std::size_t q1 = inner.find('?');
    if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?') {
        return std::nullopt;
    }
    std::string_view charset = inner.substr(0, q1);
    charset = charset.substr(0, charset.find('*')); // RFC 2231 language suffix
    const char encoding = inner[q1 + 1];
    const std::string_view text = inner.substr(q1 + 3);
    std::string bytes;
    if (encoding == 'B' || encoding == 'b') {
        auto raw = decodeBase64(text);
        if (!raw) {
            return std::nullopt;
        }
        bytes.assign(reinterpret_cast<const char*>(raw->data()), raw->size());
    } else if (encoding == 'Q' || encoding == 'q') {
        auto raw = decodeQ(text);
        if (!raw) {
            return std::nullopt;
        }
        bytes = std::move(*raw);
    } else {
        return std::nullopt;
    }
    if (equalsIgnoreCase(charset, "ISO-8859-1") || equalsIgnoreCase(charset, "latin1")) {
        bytes = latin1ToUtf8(bytes);
    } else if (!(equalsIgnoreCase(charset, "UTF-8") || equalsIgnoreCase(charset, "US-ASCII")) || !validUtf8(bytes)) {
        return std::nullopt;
    }
    for (char& c : bytes) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            c = ' ';
        }
    }
    return bytes;
}

// The length of the encoded word starting at `pos` ("=?" already seen), 0 when there is none.
std::size_t wordLength(std::string_view text, std::size_t pos) {
    // =? charset ? e ? text ?= with no white space inside (RFC 2047 2, 5).
    std::size_t questionMarks = 0;
    for (std::size_t i = pos + 2; i + 1 < text.size(); ++i) {
        const char c = text[i];
        if (isSpace(c)) {
            return 0;
        }
        if (c == '?') {
            ++questionMarks;
            if (questionMarks >= 3 && text[i + 1] == '=') {
                return i + 2 - pos;
            }
        }
    }
    return 0;
}

} // namespace

std::string decodeEncodedWords(std::string_view text) {
    // The decoded word starting at `at`, with its length; nullopt when none starts there.
    const auto wordAt = [text](std::size_t at) -> std::optional<std::pair<std::string, std::size_t>> {
        if (text.compare(at, 2, "=?") != 0) {
            return std::nullopt;
        }
        const std::size_t n = wordLength(text, at);
        if (n == 0) {
            return std::nullopt;
        }
        auto decoded = decodeWord(text.substr(at, n));
        if (!decoded) {
            return std::nullopt;
        }
        return std::make_pair(std::move(*decoded), n);
    };
    std::string out;
    std::size_t i = 0;
    bool afterWord = false;
    while (i < text.size()) {
        if (isSpace(text[i])) {
            std::size_t j = i;
            while (j < text.size() && isSpace(text[j])) {
                ++j;
            }
            if (!(afterWord && wordAt(j))) { // white space between two encoded words is dropped
                out.append(text.substr(i, j - i));
                afterWord = false;
            }
            i = j;
            continue;
        }
        if (auto word = wordAt(i)) {
            out += word->first;
            i += word->second;
            afterWord = true;
            continue;
        }
        out.push_back(text[i]);
        afterWord = false;
        ++i;
    }
    return out;
}

} // namespace sealpost::mime
