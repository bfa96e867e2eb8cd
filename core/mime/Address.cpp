#include "mime/Address.h"

#include "mime/Ascii.h"
#include "mime/HeaderLexer.h"

#include <cstddef>
#include <optional>
#include <utility>

namespace sealpost::mime {
namespace {

enum class TokenKind { Atom, Quoted, DomainLiteral, Special };

struct Token {
    TokenKind kind;
    std::string_view text; // as written; a Special is one of  < > @ , ; :
};

// Splits the value into tokens, dropping whitespace and comments. nullopt on characters that
// cannot appear outside quotes and comments (stray ')', '\', ']', ...).
std::optional<std::vector<Token>> tokenize(std::string_view value) {
    std::vector<Token> tokens;
    HeaderLexer lexer(value);
    while (true) {
        lexer.skipCfws();
        if (lexer.atEnd()) {
            break;
        }
        const char c = lexer.peek();
        if (c == '"') {
            std::string_view raw;
            if (!lexer.readQuotedString(&raw)) {
                return std::nullopt;
            }
            tokens.push_back({TokenKind::Quoted, raw});
        } else if (c == '[') {
            const auto literal = lexer.readDomainLiteral();
            if (!literal) {
                return std::nullopt;
            }
            tokens.push_back({TokenKind::DomainLiteral, *literal});
        } else if (std::string_view("<>@,;:").find(c) != std::string_view::npos) {
            tokens.push_back({TokenKind::Special, value.substr(lexer.position(), 1)});
            lexer.consume(c);
        } else {
            const std::string_view atom = lexer.readAtomText();
            if (atom.empty()) {
                return std::nullopt;
            }
            tokens.push_back({TokenKind::Atom, atom});
        }
    }
    if (lexer.malformed()) {
        return std::nullopt;
    }
    return tokens;
}

[[nodiscard]] bool isDotAtom(std::string_view s) noexcept {
    return !s.empty() && s.front() != '.' && s.back() != '.' && s.find("..") == std::string_view::npos;
}

// Recursive descent over the token list (RFC 5322 3.4). Every method returns false on a syntax
// error; the caller then discards the whole list.
class AddressListParser {
public:
    explicit AddressListParser(const std::vector<Token>& tokens) : m_tokens(tokens) {}

    bool parseList() {
        while (!atEnd()) {
            if (isSpecial(',')) { // empty list elements are allowed (RFC 5322 4.4)
                ++m_index;
                continue;
            }
            if (!parseAddress() || (!atEnd() && !takeSpecial(','))) {
                return false;
            }
        }
        return true;
    }

    std::vector<std::string> takeResult() { return std::move(m_result); }

private:
    [[nodiscard]] bool atEnd() const { return m_index >= m_tokens.size(); }
    [[nodiscard]] bool isSpecial(char c) const {
        return !atEnd() && m_tokens[m_index].kind == TokenKind::Special && m_tokens[m_index].text[0] == c;
    }
    bool takeSpecial(char c) {
        if (!isSpecial(c)) {
            return false;
        }
        ++m_index;
        return true;
    }
    // Index just past a run of phrase words (atoms and quoted strings) starting at m_index.
    [[nodiscard]] std::size_t phraseEnd() const {
        std::size_t j = m_index;
        while (j < m_tokens.size() && (m_tokens[j].kind == TokenKind::Atom || m_tokens[j].kind == TokenKind::Quoted)) {
            ++j;
        }
        return j;
    }

    bool parseAddress() {
        const std::size_t end = phraseEnd();
        const bool isGroup = end > m_index && end < m_tokens.size() && m_tokens[end].kind == TokenKind::Special &&
                             m_tokens[end].text[0] == ':';
        if (!isGroup) {
            return parseMailbox();
        }
        m_index = end + 1;
        while (!takeSpecial(';')) {
            if (atEnd()) {
                return false; // group without its closing ';'
            }
            if (takeSpecial(',')) {
                continue;
            }
            if (!parseMailbox() || (!isSpecial(',') && !isSpecial(';'))) {
                return false;
            }
        }
        return true;
    }

    bool parseMailbox() {
        const std::size_t end = phraseEnd();
        if (end < m_tokens.size() && m_tokens[end].kind == TokenKind::Special && m_tokens[end].text[0] == '<') {
            m_index = end + 1;
            skipRoute();
            return parseAddrSpec() && takeSpecial('>');
        }
        return parseAddrSpec();
    }

    // Obsolete source route "@a.example,@b.example:" before the addr-spec (RFC 5322 4.4).
    void skipRoute() {
        if (!isSpecial('@')) {
            return;
        }
        std::size_t j = m_index;
        while (j < m_tokens.size() && !(m_tokens[j].kind == TokenKind::Special && m_tokens[j].text[0] == ':')) {
            if (m_tokens[j].kind == TokenKind::Special && m_tokens[j].text[0] == '>') {
                return; // no ':' in this angle-addr, so it was not a route
            }
            ++j;
        }
        if (j < m_tokens.size()) {
            m_index = j + 1;
        }
    }

    bool parseAddrSpec() {
        if (atEnd()) {
            return false;
        }
        const Token& local = m_tokens[m_index];
        if (!(local.kind == TokenKind::Quoted || (local.kind == TokenKind::Atom && isDotAtom(local.text)))) {
            return false;
        }
        ++m_index;
        if (!takeSpecial('@') || atEnd()) {
            return false;
        }
        const Token& domain = m_tokens[m_index];
        if (!(domain.kind == TokenKind::DomainLiteral || (domain.kind == TokenKind::Atom && isDotAtom(domain.text)))) {
            return false;
        }
        ++m_index;
        m_result.push_back(std::string(local.text) + "@" + toLowerAscii(domain.text));
        return true;
    }

    const std::vector<Token>& m_tokens;
    std::size_t m_index = 0;
    std::vector<std::string> m_result;
};

} // namespace

std::vector<std::string> parseAddressList(std::string_view headerValue) {
    const auto tokens = tokenize(headerValue);
    if (!tokens) {
        return {};
    }
    AddressListParser parser(*tokens);
    if (!parser.parseList()) {
        return {};
    }
    return parser.takeResult();
}

bool sameAddress(std::string_view a, std::string_view b) {
    a = trimWsp(a);
    b = trimWsp(b);
    return !a.empty() && equalsIgnoreCase(a, b);
}

} // namespace sealpost::mime
