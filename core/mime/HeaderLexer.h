#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::mime {

// Cursor over a structured header value (RFC 5322 3.2 / RFC 2045 5.1) shared by the Content-Type
// and address parsers. It knows the lexical pieces (CFWS, quoted-string, tokens); the grammar of
// each field lives with its parser. Input may be raw (still folded): CR and LF count as whitespace.
class HeaderLexer {
public:
    explicit HeaderLexer(std::string_view text) noexcept : m_text(text) {}

    // Skips whitespace and (nested) comments. An unterminated comment runs to the end and marks
    // the input malformed.
    void skipCfws() noexcept;

    [[nodiscard]] bool atEnd() const noexcept { return m_pos >= m_text.size(); }
    [[nodiscard]] char peek() const noexcept { return atEnd() ? '\0' : m_text[m_pos]; }
    [[nodiscard]] std::size_t position() const noexcept { return m_pos; }
    [[nodiscard]] bool malformed() const noexcept { return m_malformed; }

    // Consumes `c` if it is the next character (no whitespace skipping).
    bool consume(char c) noexcept;

    // Reads a quoted-string starting at the current '"'. Returns the unescaped content, or
    // nullopt (and marks malformed) when it is unterminated. `raw` receives the text as written.
    std::optional<std::string> readQuotedString(std::string_view* raw = nullptr);

    // RFC 2045 token: printable ASCII except tspecials. Empty when none.
    std::string_view readMimeToken() noexcept;

    // Lenient parameter value without quotes: up to ';', whitespace, '(' or '"'. Real mail
    // carries unquoted boundaries such as "----=_Part_1" that contain tspecials.
    std::string_view readLenientValue() noexcept;

    // RFC 5322 atext plus '.', and octets >= 0x80 (RFC 6532). Empty when none.
    std::string_view readAtomText() noexcept;

    // Reads a domain literal "[...]" starting at the current '['; nullopt when unterminated.
    std::optional<std::string_view> readDomainLiteral() noexcept;

    // Skips to the next ';' outside quoted strings and comments (not consuming it), or to the end.
    void skipToSemicolon() noexcept;

private:
    void skipComment() noexcept;

    std::string_view m_text;
    std::size_t m_pos = 0;
    bool m_malformed = false;
};

} // namespace sealpost::mime
