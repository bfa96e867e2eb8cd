#pragma once

// Parsing of IMAP server responses (RFC 3501 section 7 and 9). A response is the full text the
// server sent for it, literals included inline ("{N}\r\n" followed by N bytes); the parser never
// reads beyond the given text and bounds its nesting, so it is safe on hostile input.

#include "base/Result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail {

// One value of a response: an atom (including numbers and things like BODY[HEADER]), a string
// (quoted or literal), NIL, or a parenthesised list.
struct ImapValue {
    enum class Kind { Atom, String, Nil, List };
    Kind kind = Kind::Nil;
    std::string text; // atom or string contents
    std::vector<ImapValue> items;

    [[nodiscard]] bool isAtom(std::string_view name) const noexcept; // case-insensitive
    [[nodiscard]] std::optional<std::uint64_t> number() const noexcept;
};

// A whole response: "*" untagged, "+" continuation, or a command tag.
struct ImapResponse {
    std::string tag;
    std::vector<ImapValue> values; // everything after the tag
    // For tagged and untagged status responses (OK/NO/BAD/BYE/PREAUTH): the status word and the
    // human-readable text after the optional [response code], and the code itself ("APPENDUID 1 5").
    std::string status;
    std::string code;
    std::string text;
};

// Parses one response. MalformedInput for syntax errors, LimitExceeded for nesting deeper than 64.
[[nodiscard]] base::Result<ImapResponse> parseImapResponse(std::string_view response);

// If the line (without CRLF) ends with a literal announcement "{N}" or "{N+}", its size.
[[nodiscard]] std::optional<std::uint64_t> trailingLiteralSize(std::string_view line) noexcept;

// "* LIST (\HasNoChildren \Sent) "/" Sent"
struct ImapFolder {
    std::string name;
    std::string delimiter;  // empty for NIL
    std::string specialUse; // "inbox" | "sent" | "drafts" | "trash" | "junk" | "archive" | ""
    bool selectable = true;
};
[[nodiscard]] std::optional<ImapFolder> listEntry(const ImapResponse& r);

// "* 12 FETCH (UID 40 FLAGS (\Seen) RFC822.SIZE 300 INTERNALDATE "..." BODY[HEADER] {N}...)"
struct ImapFetch {
    std::uint64_t sequence = 0;
    std::uint64_t uid = 0;
    std::optional<std::vector<std::string>> flags; // without \Recent (session state)
    std::optional<std::uint64_t> size;
    std::optional<std::int64_t> internalDate; // Unix seconds
    std::optional<std::string> header;        // BODY[HEADER]
    std::optional<std::string> body;          // BODY[]
};
[[nodiscard]] std::optional<ImapFetch> fetchEntry(const ImapResponse& r);

// "24-Nov-2026 00:32:18 +0000" → Unix seconds.
[[nodiscard]] std::optional<std::int64_t> parseInternalDate(std::string_view text) noexcept;

// Quotes a string for a command (a quoted string; callers send literals for anything with CR/LF).
[[nodiscard]] std::string imapQuote(std::string_view s);

} // namespace sealpost::mail
