#include "mime/ContentType.h"

#include "mime/Ascii.h"
#include "mime/HeaderLexer.h"

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace sealpost::mime {
namespace {

struct RawParam {
    std::string name; // lower-case, may carry RFC 2231 "*n" / "*" suffixes
    std::string value;
};

// Parses "; name=value" pairs until the end. Broken pairs are skipped, not fatal: a stray
// parameter must not hide the boundary that follows it.
std::vector<RawParam> readParams(HeaderLexer& lexer) {
    std::vector<RawParam> params;
    while (true) {
        lexer.skipCfws();
        if (lexer.atEnd()) {
            break;
        }
        if (!lexer.consume(';')) {
            lexer.skipToSemicolon();
            continue;
        }
        lexer.skipCfws();
        const std::string_view name = lexer.readMimeToken();
        lexer.skipCfws();
        if (name.empty() || !lexer.consume('=')) {
            continue; // empty parameter (";;") or a name without value: next ';' decides
        }
        lexer.skipCfws();
        std::optional<std::string> value;
        if (lexer.peek() == '"') {
            value = lexer.readQuotedString();
        } else {
            value = std::string(lexer.readLenientValue());
        }
        if (value) {
            params.push_back({toLowerAscii(name), std::move(*value)});
        }
    }
    return params;
}

[[nodiscard]] int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const char l = toLowerAscii(c);
    return (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
}

// RFC 2231 extended value: charset'language'percent-encoded. The charset is dropped; the value
// keeps its octets (callers needing a charset conversion can add it later).
std::string decodeExtended(std::string_view value, bool first) {
    if (first) {
        const std::size_t q1 = value.find('\'');
        const std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
            value.remove_prefix(q2 + 1);
        }
    }
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size() && hexValue(value[i + 1]) >= 0 && hexValue(value[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(value[i + 1]) * 16 + hexValue(value[i + 2])));
            i += 2;
        } else {
            out.push_back(value[i]);
        }
    }
    return out;
}

struct Section {
    std::string base;
    int index = -1; // -1: not a continuation
    bool extended = false;
};

Section splitRfc2231Name(const std::string& name) {
    Section s{name, -1, false};
    std::string_view n = name;
    if (n.size() > 1 && n.back() == '*') {
        s.extended = true;
        n.remove_suffix(1);
    }
    const std::size_t star = n.rfind('*');
    if (star != std::string_view::npos && star + 1 < n.size() && n.size() - star <= 4) {
        int index = 0;
        bool digits = true;
        for (const char c : n.substr(star + 1)) {
            digits = digits && c >= '0' && c <= '9';
            index = index * 10 + (c - '0');
        }
        if (digits) {
            s.index = index;
            n = n.substr(0, star);
        }
    }
    s.base = std::string(n);
    return s;
}

// Folds RFC 2231 sections (name*0, name*1*, name*) into plain names. Plain parameters take
// precedence, then the first occurrence of each name.
std::map<std::string, std::string> assembleParams(const std::vector<RawParam>& raw) {
    std::map<std::string, std::string> plain;
    std::map<std::string, std::map<int, std::string>> continued;
    for (const RawParam& p : raw) {
        const Section s = splitRfc2231Name(p.name);
        if (s.index < 0 && !s.extended) {
            plain.emplace(p.name, p.value);
        } else if (s.index < 0) {
            continued[s.base].emplace(0, decodeExtended(p.value, true));
        } else {
            continued[s.base].emplace(s.index, s.extended ? decodeExtended(p.value, s.index == 0) : p.value);
        }
    }
    for (auto& [base, sections] : continued) {
        std::string value;
        int expected = 0;
        for (const auto& [index, part] : sections) {
            if (index != expected++) {
                break; // a gap ends the value (RFC 2231 3: sections must be consecutive)
            }
            value += part;
        }
        plain.emplace(base, std::move(value));
    }
    return plain;
}

} // namespace

std::string ContentType::param(std::string_view name) const {
    const auto it = params.find(toLowerAscii(name));
    return it == params.end() ? std::string() : it->second;
}

bool ContentType::is(std::string_view wantedType, std::string_view wantedSubtype) const {
    return equalsIgnoreCase(type, wantedType) && equalsIgnoreCase(subtype, wantedSubtype);
}

std::string ContentType::mimeType() const {
    return type + "/" + subtype;
}

ContentType ContentType::parse(std::string_view headerValue) {
    HeaderLexer lexer(headerValue);
    lexer.skipCfws();
    const std::string_view type = lexer.readMimeToken();
    lexer.skipCfws();
    if (type.empty() || !lexer.consume('/')) {
        return {};
    }
    lexer.skipCfws();
    const std::string_view subtype = lexer.readMimeToken();
    if (subtype.empty()) {
        return {};
    }
    ContentType result;
    result.type = toLowerAscii(type);
    result.subtype = toLowerAscii(subtype);
    result.params = assembleParams(readParams(lexer));
    return result;
}

} // namespace sealpost::mime
