// parseEntity(): the recursive descent over multipart bodies. Recursion depth is bounded by
// ParseLimits::maxDepth (checked before descending), so hostile nesting ends as LimitExceeded
// long before the stack is at risk, and the total work is at most (maxDepth + 1) linear scans.
#include "mime/Ascii.h"
#include "mime/HeaderBlock.h"
#include "mime/HeaderLexer.h"
#include "mime/MimeEntity.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace sealpost::mime {
namespace {

using base::ErrorCode;
using base::makeError;

// A delimiter line found in a multipart body.
struct Delimiter {
    std::size_t start = 0;     // index of "--" (or npos when none was found)
    std::size_t lineBreak = 0; // length of the line break before it that belongs to it (0, 1 or 2)
    std::size_t next = 0;      // index just after the delimiter line, including its line ending
    bool closing = false;
};

// Matches "--boundary" [ "--" ] *LWSP-char at `pos` followed by a line ending or the end.
[[nodiscard]] bool matchDelimiter(std::string_view body, std::size_t pos, std::string_view boundary, Delimiter& out) {
    const std::size_t size = body.size();
    if (size - pos < boundary.size() + 2 || body[pos] != '-' || body[pos + 1] != '-' ||
        body.compare(pos + 2, boundary.size(), boundary) != 0) {
        return false;
    }
    std::size_t i = pos + 2 + boundary.size();
    const bool closing = size - i >= 2 && body[i] == '-' && body[i + 1] == '-';
    if (closing) {
        i += 2;
    }
    while (i < size && isWsp(body[i])) {
        ++i;
    }
    if (i < size && body[i] == '\r' && i + 1 < size && body[i + 1] == '\n') {
        ++i;
    }
    if (i < size && body[i] != '\n') {
        return false; // "--boundaryX": a longer boundary or text, not our delimiter
    }
    out.start = pos;
    out.closing = closing;
    out.next = i < size ? i + 1 : size;
    out.lineBreak = 0;
    if (pos > 0) {
        out.lineBreak = (pos > 1 && body[pos - 2] == '\r') ? 2 : 1;
    }
    return true;
}

// Finds the next delimiter line at or after `from` (which must be a line start).
[[nodiscard]] Delimiter findDelimiter(std::string_view body, std::size_t from, std::string_view boundary) {
    Delimiter found;
    std::size_t pos = from;
    while (pos < body.size()) {
        if (matchDelimiter(body, pos, boundary, found)) {
            return found;
        }
        const void* nl = std::memchr(body.data() + pos, '\n', body.size() - pos);
        if (nl == nullptr) {
            break;
        }
        pos = static_cast<std::size_t>(static_cast<const char*>(nl) - body.data()) + 1;
    }
    found.start = std::string_view::npos;
    return found;
}

// The Content-Transfer-Encoding mechanism: first token, lower-cased, comments dropped.
[[nodiscard]] std::string readTransferEncoding(const MimeEntity& entity) {
    const HeaderField* field = entity.header("Content-Transfer-Encoding");
    if (field == nullptr) {
        return "7bit";
    }
    HeaderLexer lexer(field->rawValue);
    lexer.skipCfws();
    const std::string_view token = lexer.readMimeToken();
    return token.empty() ? std::string("7bit") : toLowerAscii(token);
}

class MimeParser {
public:
    explicit MimeParser(const ParseLimits& limits) : m_limits(limits) {}

    base::Result<void> parse(std::string_view raw, int depth, bool inDigest, MimeEntity& out);

private:
    base::Result<void> splitMultipart(MimeEntity& entity);

    const ParseLimits& m_limits;
    std::size_t m_parts = 0;
};

base::Result<void> MimeParser::parse(std::string_view raw, int depth, bool inDigest, MimeEntity& out) {
    if (++m_parts > m_limits.maxParts) {
        return makeError(ErrorCode::LimitExceeded,
                         "maxParts: more than " + std::to_string(m_limits.maxParts) + " entities");
    }
    auto block = scanHeaderBlock(raw, {m_limits.maxHeaderBytes, m_limits.maxHeaderFields});
    if (!block) {
        return block.error();
    }
    out.raw = raw;
    out.rawHeader = block->rawHeader;
    out.body = block->body;
    out.headers = std::move(block->fields);
    out.depth = depth;
    if (const HeaderField* field = out.header("Content-Type"); field != nullptr) {
        out.contentType = ContentType::parse(field->rawValue);
    } else if (inDigest) {
        out.contentType.type = "message"; // RFC 2046 5.1.5
        out.contentType.subtype = "rfc822";
    }
    out.transferEncoding = readTransferEncoding(out);
    if (!out.isMultipart()) {
        return {};
    }
    if (depth >= m_limits.maxDepth) {
        return makeError(ErrorCode::LimitExceeded,
                         "maxDepth: multipart nesting deeper than " + std::to_string(m_limits.maxDepth));
    }
    return splitMultipart(out);
}

base::Result<void> MimeParser::splitMultipart(MimeEntity& entity) {
    const std::string boundary = entity.contentType.param("boundary");
    if (boundary.empty()) {
        return makeError(ErrorCode::MalformedInput,
                         "multipart without boundary parameter at depth " + std::to_string(entity.depth));
    }
    const std::string_view body = entity.body;
    const bool digest = entity.contentType.subtype == "digest";
    Delimiter delimiter = findDelimiter(body, 0, boundary);
    if (delimiter.start == std::string_view::npos) {
        entity.preamble = body;
        entity.multipartClosed = false;
        return {};
    }
    entity.preamble = body.substr(0, delimiter.start - delimiter.lineBreak);
    while (!delimiter.closing) {
        const std::size_t partStart = delimiter.next;
        delimiter = findDelimiter(body, partStart, boundary);
        std::size_t partEnd = body.size();
        if (delimiter.start != std::string_view::npos) {
            // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1). For an
            // empty part it is also the previous delimiter's line ending, hence the clamp.
            partEnd = std::max(partStart, delimiter.start - delimiter.lineBreak);
        }
        MimeEntity& child = entity.children.emplace_back();
        if (auto parsed = parse(body.substr(partStart, partEnd - partStart), entity.depth + 1, digest, child);
            !parsed) {
            return parsed.error();
        }
        if (delimiter.start == std::string_view::npos) {
            entity.multipartClosed = false;
            return {};
        }
    }
    entity.epilogue = body.substr(delimiter.next);
    return {};
}

} // namespace

base::Result<MimeEntity> parseEntity(std::string_view buffer, const ParseLimits& limits) {
    MimeEntity root;
    MimeParser parser(limits);
    if (auto parsed = parser.parse(buffer, 0, false, root); !parsed) {
        return parsed.error();
    }
    return root;
}

} // namespace sealpost::mime
