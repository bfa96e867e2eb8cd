#include "mime/HeaderLexer.h"

#include <string_view>

namespace sealpost::mime {
namespace {

constexpr std::string_view kTspecials = "()<>@,;:\\\"/[]?=";

[[nodiscard]] bool isMimeTokenChar(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && kTspecials.find(c) == std::string_view::npos;
}

[[nodiscard]] bool isAtext(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
        return true;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

[[nodiscard]] bool isSpaceOrLineBreak(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

} // namespace

void HeaderLexer::skipCfws() noexcept {
    while (!atEnd()) {
        const char c = m_text[m_pos];
        if (isSpaceOrLineBreak(c)) {
            ++m_pos;
        } else if (c == '(') {
            skipComment();
        } else {
            return;
        }
    }
}

void HeaderLexer::skipComment() noexcept {
    // Iterative with a counter: nesting depth must not turn into recursion depth on hostile input.
    std::size_t depth = 0;
    while (!atEnd()) {
        const char c = m_text[m_pos++];
        if (c == '\\') {
            if (!atEnd()) {
                ++m_pos;
            }
        } else if (c == '(') {
            ++depth;
        } else if (c == ')') {
            if (--depth == 0) {
                return;
            }
        }
    }
    m_malformed = true;
}

bool HeaderLexer::consume(char c) noexcept {
    if (peek() == c && !atEnd()) {
        ++m_pos;
        return true;
    }
    return false;
}

std::optional<std::string> HeaderLexer::readQuotedString(std::string_view* raw) {
    const std::size_t start = m_pos;
    if (!consume('"')) {
        return std::nullopt;
    }
    std::string value;
    while (!atEnd()) {
        const char c = m_text[m_pos++];
        if (c == '"') {
            if (raw != nullptr) {
                *raw = m_text.substr(start, m_pos - start);
            }
            return value;
        }
        if (c == '\\' && !atEnd()) {
            value.push_back(m_text[m_pos++]);
        } else if (c != '\r' && c != '\n') { // folding inside quotes: unfold
            value.push_back(c);
        }
    }
    m_malformed = true;
    return std::nullopt;
}

std::string_view HeaderLexer::readMimeToken() noexcept {
    const std::size_t start = m_pos;
    while (!atEnd() && isMimeTokenChar(m_text[m_pos])) {
        ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
}

std::string_view HeaderLexer::readLenientValue() noexcept {
    const std::size_t start = m_pos;
    while (!atEnd()) {
        const char c = m_text[m_pos];
        if (c == ';' || c == '(' || c == '"' || isSpaceOrLineBreak(c)) {
            break;
        }
        ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
}

std::string_view HeaderLexer::readAtomText() noexcept {
    const std::size_t start = m_pos;
    while (!atEnd() && isAtext(m_text[m_pos])) {
        ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
}

std::optional<std::string_view> HeaderLexer::readDomainLiteral() noexcept {
    const std::size_t start = m_pos;
    if (!consume('[')) {
        return std::nullopt;
    }
    while (!atEnd()) {
        const char c = m_text[m_pos++];
        if (c == ']') {
            return m_text.substr(start, m_pos - start);
        }
        if (c == '[' || c == '\\') {
            break;
        }
    }
    m_malformed = true;
    return std::nullopt;
}

void HeaderLexer::skipToSemicolon() noexcept {
    while (!atEnd()) {
        const char c = m_text[m_pos];
        if (c == ';') {
            return;
        }
        if (c == '"') {
            if (!readQuotedString()) {
                return;
            }
        } else if (c == '(') {
            skipComment();
        } else {
            ++m_pos;
        }
    }
}

} // namespace sealpost::mime
