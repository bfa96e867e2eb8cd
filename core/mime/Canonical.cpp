#include "mime/Canonical.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sealpost::mime {
namespace {

constexpr std::size_t kMaxLineLength = 998;

} // namespace

std::string toCrlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            out.append("\r\n");
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
        } else if (c == '\n') {
            out.append("\r\n");
        } else {
            out.push_back(c);
        }
    }
    return out;
}

namespace {

// True when any octet in [p, p+n) is NUL or >= 0x80; eight octets at a time.
bool hasEightBitOrNul(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, p + i, 8);
        if (((w & kHigh) | ((w - kOnes) & ~w & kHigh)) != 0) {
            return true;
        }
    }
    for (; i < n; ++i) {
        const auto u = static_cast<unsigned char>(p[i]);
        if (u == 0 || u >= 0x80) {
            return true;
        }
    }
    return false;
}

} // namespace

TextShape analyzeText(std::string_view text) noexcept {
    TextShape shape;
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    for (const char* line = begin; line < end && (shape.crlfCanonical || shape.sevenBitSafe);) {
        const auto* nl = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
        const char* const lineEnd = nl != nullptr ? nl : end;
        auto length = static_cast<std::size_t>(lineEnd - line);
        const bool crBeforeLf = nl != nullptr && length > 0 && lineEnd[-1] == '\r';
        if (nl != nullptr && !crBeforeLf) {
            shape.crlfCanonical = false; // bare LF
        }
        if (crBeforeLf) {
            --length; // the CR of CRLF is not part of the line
        }
        if (std::memchr(line, '\r', length) != nullptr) {
            shape.crlfCanonical = false; // lone CR
        }
        if (shape.sevenBitSafe && (length > kMaxLineLength || hasEightBitOrNul(line, length))) {
            shape.sevenBitSafe = false;
        }
        line = nl != nullptr ? nl + 1 : end;
    }
    return shape;
}

bool isCrlfCanonical(std::string_view text) noexcept {
    return analyzeText(text).crlfCanonical;
}

bool isSevenBitSafe(std::string_view text) noexcept {
    return analyzeText(text).sevenBitSafe;
}

} // namespace sealpost::mime
