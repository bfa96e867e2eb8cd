#pragma once

#include "base/Result.h"
#include "mime/ContentType.h"
#include "mime/HeaderField.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sealpost::mime {

// One MIME entity with exact byte ranges into the parsed buffer. S/MIME multipart/signed
// verification hashes `raw` of the first child, so nothing here is ever re-serialised.
struct MimeEntity {
    std::string_view raw;       // header, blank line and body exactly as in the buffer
    std::string_view rawHeader; // header block incl. the line ending of its last field, excl. the blank line
    std::string_view body;      // raw body exactly as received (still transfer-encoded)
    std::vector<HeaderField> headers;
    ContentType contentType;               // from Content-Type; text/plain (message/rfc822 in a digest) if absent
    std::string transferEncoding = "7bit"; // lower-case Content-Transfer-Encoding
    std::vector<MimeEntity> children;      // multipart/* only, in order
    std::string_view preamble;             // multipart only
    std::string_view epilogue;             // multipart only
    bool multipartClosed = true;           // false when the closing delimiter "--boundary--" is missing
    int depth = 0;                         // 0 = top level

    // Case-insensitive, first match, nullptr if none.
    [[nodiscard]] const HeaderField* header(std::string_view name) const;
    // Unfolded value of header(name), or "".
    [[nodiscard]] std::string headerValue(std::string_view name) const;
    [[nodiscard]] bool isMultipart() const;
};

struct ParseLimits {
    std::size_t maxHeaderBytes = 1 << 20; // per entity header block
    std::size_t maxHeaderFields = 10000;  // per entity
    int maxDepth = 64;                    // multipart nesting: a multipart at depth >= maxDepth is rejected
    std::size_t maxParts = 10000;         // total entities, including the top level
};

// Parses `buffer`, which must outlive the result: all views point into it. Accepts CRLF and bare
// LF line endings. Errors: MalformedInput (multipart without boundary parameter), LimitExceeded
// (detail names the limit: "maxHeaderBytes", "maxHeaderFields", "maxDepth", "maxParts").
[[nodiscard]] base::Result<MimeEntity> parseEntity(std::string_view buffer, const ParseLimits& limits = {});
// A temporary string would die before the views into it: keep the text in a named variable.
template <typename S>
requires std::is_same_v<S, std::string> base::Result<MimeEntity> parseEntity(S&& buffer, const ParseLimits& limits = {})
= delete;

} // namespace sealpost::mime
