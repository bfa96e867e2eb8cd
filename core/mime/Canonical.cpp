#include "mime/Canonical.h"

#include <cstddef>

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

bool isCrlfCanonical(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
            return false;
        }
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            return false;
        }
    }
    return true;
}

bool isSevenBitSafe(std::string_view text) noexcept {
    std::size_t lineLength = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u == 0 || u >= 0x80) {
            return false;
        }
        if (u == '\n') {
            lineLength = 0;
        } else if (u != '\r' || i + 1 == text.size() || text[i + 1] != '\n') {
            if (++lineLength > kMaxLineLength) {
                return false;
            }
        }
    }
    return true;
}

} // namespace sealpost::mime
