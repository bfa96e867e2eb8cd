#include "mime/HeaderField.h"

#include "mime/Ascii.h"

namespace sealpost::mime {

std::string HeaderField::value() const {
    return unfoldHeaderValue(rawValue);
}

std::string unfoldHeaderValue(std::string_view rawValue) {
    std::string out;
    out.reserve(rawValue.size());
    for (char c : rawValue) {
        // Folding only ever inserts a line break before existing whitespace (RFC 5322 2.2.3),
        // so dropping every CR and LF restores the unfolded text.
        if (c != '\r' && c != '\n') {
            out.push_back(c);
        }
    }
    const std::string_view trimmed = trimWsp(out);
    return std::string(trimmed);
}

} // namespace sealpost::mime
