#include "smime/HeaderUtil.h"

#include "mime/Canonical.h"

#include <cctype>

namespace sealpost::smime {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool isContentField(std::string_view name) noexcept {
    return name.size() > 8 && iequals(name.substr(0, 8), "Content-");
}

std::string headerLine(const mime::HeaderField& field) {
    std::string line(field.name);
    line += ':';
    line += mime::toCrlf(field.rawValue);
    line += "\r\n";
    return line;
}

} // namespace sealpost::smime
