#include "mail/ImapResponse.h"

#include "mime/Ascii.h"

#include <array>
#include <charconv>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

constexpr int kMaxDepth = 64;

using mime::equalsIgnoreCase;

std::optional<std::uint64_t> toNumber(std::string_view s) noexcept {
    std::uint64_t v = 0;
    if (s.empty()) {
        return std::nullopt;
    }
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return v;
}

class Parser {
public:
    explicit Parser(std::string_view text) : m_s(text) {}

    [[nodiscard]] bool atEnd() const noexcept { return m_pos >= m_s.size(); }
    [[nodiscard]] char peek() const noexcept { return atEnd() ? '\0' : m_s[m_pos]; }
    void skipSpaces() noexcept {
        while (!atEnd() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\r' || m_s[m_pos] == '\n')) {
            ++m_pos;
        }
    }
    [[nodiscard]] std::string_view rest() const noexcept { return m_s.substr(std::min(m_pos, m_s.size())); }
    void advance(std::size_t n) noexcept { m_pos = std::min(m_s.size(), m_pos + n); }

    // The next space-delimited word (for tags and status words).
    std::string_view word() noexcept {
        const std::size_t start = m_pos;
        while (!atEnd() && m_s[m_pos] != ' ' && m_s[m_pos] != '\r' && m_s[m_pos] != '\n') {
            ++m_pos;
        }
        return m_s.substr(start, m_pos - start);
    }

    base::Result<ImapValue> value(int depth) {
        if (depth > kMaxDepth) {
            return base::makeError(ErrorCode::LimitExceeded, "IMAP response nested too deeply");
        }
        const char c = peek();
        if (c == '(') {
            ++m_pos;
            ImapValue list;
            list.kind = ImapValue::Kind::List;
            for (;;) {
                skipSpaces();
                if (atEnd()) {
                    return base::makeError(ErrorCode::MalformedInput, "IMAP response: unterminated list");
                }
                if (peek() == ')') {
                    ++m_pos;
                    return list;
                }
                auto item = value(depth + 1);
                if (!item) {
                    return item.error();
                }
                list.items.push_back(std::move(item).value());
            }
        }
        if (c == '"') {
            ++m_pos;
            ImapValue str;
            str.kind = ImapValue::Kind::String;
            while (!atEnd() && m_s[m_pos] != '"') {
                if (m_s[m_pos] == '\\' && m_pos + 1 < m_s.size()) {
                    ++m_pos;
                }
                str.text.push_back(m_s[m_pos]);
                ++m_pos;
            }
            if (atEnd()) {
                return base::makeError(ErrorCode::MalformedInput, "IMAP response: unterminated quoted string");
            }
            ++m_pos;
            return str;
        }
        if (c == '{') {
            const std::size_t close = m_s.find('}', m_pos);
            if (close == std::string_view::npos) {
                return base::makeError(ErrorCode::MalformedInput, "IMAP response: bad literal");
            }
            std::string_view digits = m_s.substr(m_pos + 1, close - m_pos - 1);
            if (!digits.empty() && digits.back() == '+') {
                digits.remove_suffix(1);
            }
            const auto size = toNumber(digits);
            if (!size || m_s.substr(close + 1, 2) != "\r\n" || *size > m_s.size() - (close + 3)) {
                return base::makeError(ErrorCode::MalformedInput, "IMAP response: bad or truncated literal");
            }
            ImapValue str;
            str.kind = ImapValue::Kind::String;
            str.text.assign(m_s.substr(close + 3, static_cast<std::size_t>(*size)));
            m_pos = close + 3 + static_cast<std::size_t>(*size);
            return str;
        }
        if (c == ')' || c == '\0') {
            return base::makeError(ErrorCode::MalformedInput, "IMAP response: value expected");
        }
        // Atom; a [section] may contain spaces and parentheses ("BODY[HEADER.FIELDS (FROM)]").
        ImapValue atom;
        atom.kind = ImapValue::Kind::Atom;
        int brackets = 0;
        while (!atEnd()) {
            const char d = m_s[m_pos];
            if (brackets == 0 && (d == ' ' || d == '(' || d == ')' || d == '\r' || d == '\n' || d == '"' || d == '{')) {
                break;
            }
            if (d == '[') {
                ++brackets;
            } else if (d == ']' && brackets > 0) {
                --brackets;
            } else if (d == '\r' || d == '\n') {
                return base::makeError(ErrorCode::MalformedInput, "IMAP response: line break inside an atom");
            }
            atom.text.push_back(d);
            ++m_pos;
        }
        if (atom.text.empty()) {
            return base::makeError(ErrorCode::MalformedInput, "IMAP response: value expected");
        }
        if (equalsIgnoreCase(atom.text, "NIL")) {
            atom.kind = ImapValue::Kind::Nil;
            atom.text.clear();
        }
        return atom;
    }

private:
    std::string_view m_s;
    std::size_t m_pos = 0;
};

bool isStatusWord(std::string_view w) noexcept {
    return equalsIgnoreCase(w, "OK") || equalsIgnoreCase(w, "NO") || equalsIgnoreCase(w, "BAD") ||
           equalsIgnoreCase(w, "BYE") || equalsIgnoreCase(w, "PREAUTH");
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string_view trimLineEnd(std::string_view s) noexcept {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

bool ImapValue::isAtom(std::string_view name) const noexcept {
    return kind == Kind::Atom && equalsIgnoreCase(text, name);
}

std::optional<std::uint64_t> ImapValue::number() const noexcept {
    return kind == Kind::Atom ? toNumber(text) : std::nullopt;
}

base::Result<ImapResponse> parseImapResponse(std::string_view response) {
    Parser p(response);
    ImapResponse r;
    r.tag = std::string(p.word());
    if (r.tag.empty()) {
        return base::makeError(ErrorCode::MalformedInput, "IMAP response: empty");
    }
    if (r.tag == "+") {
        p.skipSpaces();
        r.text = std::string(trimLineEnd(p.rest()));
        return r;
    }
    p.skipSpaces();
    // A status response: tagged always; untagged when it starts with a status word.
    Parser probe = p;
    const std::string_view first = probe.word();
    if (r.tag != "*" || isStatusWord(first)) {
        r.status = upper(p.word());
        if (!isStatusWord(r.status)) {
            return base::makeError(ErrorCode::MalformedInput, "IMAP response: status expected after the tag");
        }
        p.skipSpaces();
        std::string_view rest = trimLineEnd(p.rest());
        if (!rest.empty() && rest.front() == '[') {
            const std::size_t close = rest.find(']');
            if (close == std::string_view::npos) {
                return base::makeError(ErrorCode::MalformedInput, "IMAP response: unterminated response code");
            }
            r.code = std::string(rest.substr(1, close - 1));
            rest.remove_prefix(close + 1);
            while (!rest.empty() && rest.front() == ' ') {
                rest.remove_prefix(1);
            }
        }
        r.text = std::string(rest);
        return r;
    }
    for (;;) {
        p.skipSpaces();
        if (p.atEnd()) {
            break;
        }
        auto v = p.value(0);
        if (!v) {
            return v.error();
        }
        r.values.push_back(std::move(v).value());
    }
    if (r.values.empty()) {
        return base::makeError(ErrorCode::MalformedInput, "IMAP response: nothing after '*'");
    }
    return r;
}

std::optional<std::uint64_t> trailingLiteralSize(std::string_view line) noexcept {
    if (line.empty() || line.back() != '}') {
        return std::nullopt;
    }
    const std::size_t open = line.rfind('{');
    if (open == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view digits = line.substr(open + 1, line.size() - open - 2);
    if (!digits.empty() && digits.back() == '+') {
        digits.remove_suffix(1);
    }
    return toNumber(digits);
}

std::optional<ImapFolder> listEntry(const ImapResponse& r) {
    if (r.tag != "*" || r.values.size() != 4 || !r.values[0].isAtom("LIST") ||
        r.values[1].kind != ImapValue::Kind::List) {
        return std::nullopt;
    }
    ImapFolder f;
    const ImapValue& delim = r.values[2];
    if (delim.kind == ImapValue::Kind::String) {
        f.delimiter = delim.text;
    } else if (delim.kind != ImapValue::Kind::Nil) {
        return std::nullopt;
    }
    const ImapValue& name = r.values[3];
    if (name.kind != ImapValue::Kind::String && name.kind != ImapValue::Kind::Atom) {
        return std::nullopt;
    }
    f.name = name.text;
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kUses{{
        {"\\Sent", "sent"},
        {"\\Drafts", "drafts"},
        {"\\Trash", "trash"},
        {"\\Junk", "junk"},
        {"\\Archive", "archive"},
    }};
    for (const ImapValue& attr : r.values[1].items) {
        if (attr.isAtom("\\Noselect") || attr.isAtom("\\NonExistent")) {
            f.selectable = false;
        }
        for (const auto& [flag, use] : kUses) {
            if (attr.isAtom(flag)) {
                f.specialUse = std::string(use);
            }
        }
    }
    if (equalsIgnoreCase(f.name, "INBOX")) {
        f.specialUse = "inbox";
    }
    return f;
}

std::optional<ImapFetch> fetchEntry(const ImapResponse& r) {
    if (r.tag != "*" || r.values.size() != 3 || !r.values[1].isAtom("FETCH") ||
        r.values[2].kind != ImapValue::Kind::List) {
        return std::nullopt;
    }
    const auto seq = r.values[0].number();
    if (!seq) {
        return std::nullopt;
    }
    ImapFetch f;
    f.sequence = *seq;
    const auto& items = r.values[2].items;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        const ImapValue& key = items[i];
        const ImapValue& val = items[i + 1];
        if (key.kind != ImapValue::Kind::Atom) {
            return std::nullopt;
        }
        if (key.isAtom("UID")) {
            const auto n = val.number();
            if (!n) {
                return std::nullopt;
            }
            f.uid = *n;
        } else if (key.isAtom("FLAGS")) {
            if (val.kind != ImapValue::Kind::List) {
                return std::nullopt;
            }
            std::vector<std::string> flags;
            for (const ImapValue& flag : val.items) {
                // \Recent belongs to one session, not to the message: it would look like a flag
                // change on every sync.
                if (flag.kind == ImapValue::Kind::Atom && !flag.isAtom("\\Recent")) {
                    flags.push_back(flag.text);
                }
            }
            f.flags = std::move(flags);
        } else if (key.isAtom("RFC822.SIZE")) {
            f.size = val.number();
        } else if (key.isAtom("INTERNALDATE")) {
            f.internalDate = parseInternalDate(val.text);
        } else if (key.isAtom("BODY[HEADER]")) {
            f.header = val.text;
        } else if (key.isAtom("BODY[]")) {
            f.body = val.text;
        }
    }
    return f;
}

std::optional<std::int64_t> parseInternalDate(std::string_view text) noexcept {
    // dd-Mon-yyyy hh:mm:ss +zzzz, the day possibly space-padded.
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    if (text.size() != 25 && text.size() != 26) {
        return std::nullopt;
    }
    const std::size_t shift = text.size() == 25 ? 1 : 0;
    const auto num = [&](std::size_t pos, std::size_t len) -> std::optional<std::int64_t> {
        const auto v = toNumber(text.substr(pos, len));
        return v ? std::optional<std::int64_t>(static_cast<std::int64_t>(*v)) : std::nullopt;
    };
    const auto day = num(0, 2 - shift);
    static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::string_view mon = text.substr(3 - shift, 3);
    std::int64_t month = 0;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (equalsIgnoreCase(kMonths[i], mon)) {
            month = static_cast<std::int64_t>(i) + 1;
        }
    }
    const auto year = num(7 - shift, 4);
    const auto hh = num(12 - shift, 2);
    const auto mm = num(15 - shift, 2);
    const auto ss = num(18 - shift, 2);
    const char sign = text[21 - shift];
    const auto zh = num(22 - shift, 2);
    const auto zm = num(24 - shift, 2);
    if (!day || month == 0 || !year || !hh || !mm || !ss || !zh || !zm || (sign != '+' && sign != '-') ||
        text[2 - shift] != '-' || text[6 - shift] != '-' || *day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60) {
        return std::nullopt;
    }
    // Days from civil (Howard Hinnant's algorithm).
    const std::int64_t y = *year - (month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t mp = (month + 9) % 12;
    const std::int64_t doy = (153 * mp + 2) / 5 + *day - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = era * 146097 + doe - 719468;
    const std::int64_t offset = (*zh * 3600 + *zm * 60) * (sign == '-' ? -1 : 1);
    return days * 86400 + *hh * 3600 + *mm * 60 + *ss - offset;
}

std::string imapQuote(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

} // namespace sealpost::mail
