#pragma once

#include "base/Result.h"
#include "mime/HeaderField.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sealpost::mime {

// The header block of one entity split off its body; all views point into the scanned text.
struct HeaderBlock {
    std::vector<HeaderField> fields;
    std::string_view rawHeader; // incl. the line ending of the last field, excl. the blank line
    std::string_view body;      // everything after the blank line
};

struct HeaderBlockLimits {
    std::size_t maxBytes = 0;
    std::size_t maxFields = 0;
};

// Splits `entity` into header fields and body. Rules (lenient, as real mail requires):
// - the header ends at the first empty line (CRLF or bare LF);
// - no empty line at all: everything is header and the body is empty;
// - a line that is neither a field ("name:") nor a continuation of one (leading WSP) also ends
//   the header, and that line starts the body. Rejecting such mail would lose real messages, and
//   the bytes are never lost: `body` keeps them.
// Never reads further than the byte limit into a header, so an oversized header fails in time
// proportional to the limit, not to the input.
[[nodiscard]] base::Result<HeaderBlock> scanHeaderBlock(std::string_view entity, const HeaderBlockLimits& limits);
// The result views into `entity`: a temporary string would die first.
template <typename S>
requires std::is_same_v<S, std::string> base::Result<HeaderBlock> scanHeaderBlock(S&& entity,
                                                                                  const HeaderBlockLimits& limits)
= delete;

} // namespace sealpost::mime
