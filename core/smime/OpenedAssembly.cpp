#include "smime/OpenedAssembly.h"

#include "smime/HeaderUtil.h"

#include <algorithm>

namespace sealpost::smime {

std::string assembleTopHeader(const mime::MimeEntity& top, const ShownTop& shown, const OpenReport& report) {
    std::string out;
    auto isProtected = [&report](std::string_view name) {
        if (!report.protectedHeaders) {
            return false;
        }
        return std::any_of(report.protectedHeaders->begin(), report.protectedHeaders->end(),
                           [name](const auto& f) { return iequals(f.first, name); });
    };
    // RFC 9788: with an hp parameter the protected header section replaces the outer one
    // entirely; merging would let unprotected outer fields (Reply-To, Cc) pass as protected.
    const bool replaceOuter = !report.headerProtection.empty() && report.protectedHeaders.has_value();
    for (const auto& h : top.headers) {
        if (!replaceOuter && !isContentField(h.name) && !iequals(h.name, "MIME-Version") && !isProtected(h.name)) {
            out += headerLine(h);
        }
    }
    if (report.protectedHeaders) {
        for (const auto& [name, value] : *report.protectedHeaders) {
            if (!iequals(name, "HP-Outer")) {
                out.append(name).append(": ").append(value).append("\r\n");
            }
        }
    }
    out += "MIME-Version: 1.0\r\n";
    out += shown.contentHeader;
    out += "\r\n";
    return out;
}

} // namespace sealpost::smime
