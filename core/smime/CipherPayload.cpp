#include "smime/CipherPayload.h"

#include "mime/Canonical.h"
#include "mime/TransferEncoding.h"
#include "smime/HeaderUtil.h"
#include "smime/LegacyDisplay.h"

namespace sealpost::smime {

namespace {

constexpr std::string_view kObscuredSubject = "[...]";
constexpr std::string_view kLegacyMark = "; hp-legacy-display=\"1\"";

bool isTraceField(std::string_view name) {
    return iequals(name, "Received") || iequals(name, "Return-Path");
}

// The header of `e` with the legacy display mark on its Content-Type (added when there is none).
std::string markedHeader(const mime::MimeEntity& e) {
    std::string out;
    bool marked = false;
    for (const auto& h : e.headers) {
        std::string line = headerLine(h);
        if (!marked && iequals(h.name, "Content-Type")) {
            line.insert(line.size() - 2, kLegacyMark);
            marked = true;
        }
        out += line;
    }
    if (!marked) {
        out += "Content-Type: text/plain; charset=us-ascii";
        out += kLegacyMark;
        out += "\r\n";
    }
    return out;
}

} // namespace

base::Result<CipherPayload> prepareCipherPayload(const mime::MimeEntity& top, bool legacyDisplay) {
    CipherPayload result;
    std::string hpOuter;
    std::string subject;
    bool obscured = false;
    for (const auto& h : top.headers) {
        if (isContentField(h.name) || iequals(h.name, "MIME-Version") || iequals(h.name, "Bcc") ||
            iequals(h.name, "Keywords") || iequals(h.name, "Comments")) {
            continue; // Bcc never goes out; Keywords and Comments only inside (hcp_baseline)
        }
        if (isTraceField(h.name)) {
            result.outerHeader += headerLine(h); // transport's, neither protected nor recorded
            continue;
        }
        if (iequals(h.name, "Subject")) {
            subject = h.value();
            obscured = true;
            const std::string line = "Subject: " + std::string(kObscuredSubject) + "\r\n";
            result.outerHeader += line;
            hpOuter += "HP-Outer: " + line;
            continue;
        }
        result.outerHeader += headerLine(h);
        hpOuter += "HP-Outer: " + headerLine(h);
    }
    const mime::MimeEntity* target = legacyDisplay && obscured ? legacyDisplayTarget(top) : nullptr;
    if (target == nullptr) {
        for (const auto& h : top.headers) {
            result.message += headerLine(h);
        }
        result.message += hpOuter + "\r\n";
        result.message += top.body;
        return result;
    }
    auto decoded = mime::decodeBody(*target);
    if (!decoded) {
        return decoded.error();
    }
    // The element's own lines are CRLF; the text after it keeps its line ends (canonicalised later).
    const std::string body = encodeAs(target->transferEncoding, "Subject: " + subject + "\r\n\r\n" + *decoded);
    if (target == &top) {
        result.message = markedHeader(top) + hpOuter + "\r\n" + body;
        return result;
    }
    for (const auto& h : top.headers) {
        result.message += headerLine(h);
    }
    result.message += hpOuter + "\r\n";
    const auto offset = static_cast<std::size_t>(target->raw.data() - top.body.data());
    result.message += top.body.substr(0, offset);
    result.message += markedHeader(*target) + "\r\n" + body;
    result.message += top.body.substr(offset + target->raw.size());
    return result;
}

} // namespace sealpost::smime
