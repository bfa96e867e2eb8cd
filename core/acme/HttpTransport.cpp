#include "acme/HttpTransport.h"

#include <algorithm>
#include <cctype>

namespace sealpost::acme {

namespace {

bool sameName(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

} // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [fieldName, value] : headers) {
        if (sameName(fieldName, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string> HttpResponse::headerValues(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [fieldName, value] : headers) {
        if (sameName(fieldName, name)) {
            values.push_back(value);
        }
    }
    return values;
}

} // namespace sealpost::acme
