#include "mime/HeaderBlock.h"

#include "mime/Ascii.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace sealpost::mime {
namespace {

using base::ErrorCode;
using base::makeError;

[[nodiscard]] bool isFieldNameChar(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && c != ':';
}

[[nodiscard]] base::Error headerTooLarge(std::size_t limit) {
    return makeError(ErrorCode::LimitExceeded,
                     "maxHeaderBytes: header block exceeds " + std::to_string(limit) + " bytes");
}

class Scanner {
public:
    Scanner(std::string_view text, const HeaderBlockLimits& limits)
        : m_text(text), m_limits(limits), m_windowEnd(std::min(text.size(), limits.maxBytes)) {}

    base::Result<HeaderBlock> run();

private:
    // Index of the '\n' ending the line that contains `from`; npos if the line is unterminated.
    // Fails when the line would cross the header byte limit.
    [[nodiscard]] base::Result<std::size_t> findLineEnd(std::size_t from) const;
    [[nodiscard]] std::size_t contentEnd(std::size_t lineEnd) const noexcept {
        return (lineEnd > 0 && m_text[lineEnd - 1] == '\r') ? lineEnd - 1 : lineEnd;
    }
    struct Split {
        std::size_t headerEnd; // rawHeader is [0, headerEnd)
        std::size_t bodyStart; // body is [bodyStart, end)
    };
    HeaderBlock finish(Split split) {
        m_block.rawHeader = m_text.substr(0, split.headerEnd);
        m_block.body = m_text.substr(split.bodyStart);
        return std::move(m_block);
    }

    std::string_view m_text;
    HeaderBlockLimits m_limits;
    std::size_t m_windowEnd;
    HeaderBlock m_block;
};

base::Result<std::size_t> Scanner::findLineEnd(std::size_t from) const {
    if (from < m_windowEnd) {
        const void* hit = std::memchr(m_text.data() + from, '\n', m_windowEnd - from);
        if (hit != nullptr) {
            return static_cast<std::size_t>(static_cast<const char*>(hit) - m_text.data());
        }
    }
    if (m_windowEnd == m_text.size()) {
        return std::string_view::npos;
    }
    return headerTooLarge(m_limits.maxBytes);
}

base::Result<HeaderBlock> Scanner::run() {
    const std::size_t size = m_text.size();
    std::size_t pos = 0;
    std::size_t valueStart = 0; // of the field being continued
    bool haveField = false;
    while (pos < size) {
        if (m_text[pos] == '\n') {
            return finish({.headerEnd = pos, .bodyStart = pos + 1});
        }
        if (m_text[pos] == '\r' && pos + 1 < size && m_text[pos + 1] == '\n') {
            return finish({.headerEnd = pos, .bodyStart = pos + 2});
        }
        std::size_t valueFrom = pos; // continuation: only the line end is needed
        if (isWsp(m_text[pos])) {
            if (!haveField) {
                return finish({.headerEnd = pos, .bodyStart = pos});
            }
        } else {
            std::size_t i = pos;
            while (i < m_windowEnd && isFieldNameChar(m_text[i])) {
                ++i;
            }
            const std::size_t nameEnd = i;
            while (i < m_windowEnd && isWsp(m_text[i])) {
                ++i; // obsolete syntax allows WSP before the colon
            }
            if (i == m_windowEnd && m_windowEnd < size) {
                return headerTooLarge(m_limits.maxBytes);
            }
            if (nameEnd == pos || i == size || m_text[i] != ':') {
                return finish({.headerEnd = pos, .bodyStart = pos});
            }
            if (m_block.fields.size() >= m_limits.maxFields) {
                return makeError(ErrorCode::LimitExceeded,
                                 "maxHeaderFields: more than " + std::to_string(m_limits.maxFields) + " header fields");
            }
            m_block.fields.push_back({m_text.substr(pos, nameEnd - pos), {}});
            valueStart = i + 1;
            valueFrom = valueStart;
            haveField = true;
        }
        auto lineEnd = findLineEnd(valueFrom);
        if (!lineEnd) {
            return lineEnd.error();
        }
        const std::size_t end = *lineEnd == std::string_view::npos ? size : contentEnd(*lineEnd);
        m_block.fields.back().rawValue = m_text.substr(valueStart, end - valueStart);
        if (*lineEnd == std::string_view::npos) {
            return finish({.headerEnd = size, .bodyStart = size});
        }
        pos = *lineEnd + 1;
    }
    return finish({.headerEnd = size, .bodyStart = size});
}

} // namespace

base::Result<HeaderBlock> scanHeaderBlock(std::string_view entity, const HeaderBlockLimits& limits) {
    return Scanner(entity, limits).run();
}

} // namespace sealpost::mime
