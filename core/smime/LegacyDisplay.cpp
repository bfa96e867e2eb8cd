#include "smime/LegacyDisplay.h"

#include "mime/TransferEncoding.h"
#include "smime/HeaderUtil.h"

#include <cctype>

namespace sealpost::smime {

namespace {

// "Name: value" with a field name of printable ASCII other than ':' and space (RFC 5322 2.2).
bool isHeaderLike(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
        return false;
    }
    for (std::size_t i = 0; i < colon; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c <= 32 || c >= 127) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

bool isAttachment(const mime::MimeEntity& e) {
    const std::string disposition = e.headerValue("Content-Disposition");
    return iequals(trim(std::string_view(disposition).substr(0, disposition.find(';'))), "attachment");
}

} // namespace

std::string encodeAs(std::string_view transferEncoding, std::string_view text) {
    if (transferEncoding == "base64") {
        return mime::encodeBase64(base::asBytes(text));
    }
    if (transferEncoding == "quoted-printable") {
        return mime::encodeQuotedPrintable(text);
    }
    return std::string(text);
}

std::optional<std::string> stripLegacyDisplay(std::string_view decoded) {
    std::size_t pos = 0;
    std::size_t lines = 0;
    while (pos < decoded.size()) {
        const std::size_t lf = decoded.find('\n', pos);
        if (lf == std::string_view::npos) {
            return std::nullopt;
        }
        std::string_view line = decoded.substr(pos, lf - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        pos = lf + 1;
        if (line.empty()) {
            if (lines == 0) {
                return std::nullopt;
            }
            return std::string(decoded.substr(pos));
        }
        if (!isHeaderLike(line)) {
            return std::nullopt;
        }
        ++lines;
    }
    return std::nullopt;
}

std::string removeParameter(std::string_view rawValue, std::string_view name) {
    std::string out;
    std::size_t start = 0; // of the current segment, at its ';' (or 0 for the media type)
    bool quoted = false;
    for (std::size_t i = 0; i <= rawValue.size(); ++i) {
        const bool end = i == rawValue.size();
        if (!end && quoted && rawValue[i] == '\\') {
            ++i;
            continue;
        }
        if (!end && rawValue[i] == '"') {
            quoted = !quoted;
        }
        if (!end && (quoted || rawValue[i] != ';')) {
            continue;
        }
        const std::string_view segment = rawValue.substr(start, i - start);
        const std::string_view body = start == 0 ? segment : segment.substr(1);
        const std::size_t eq = body.find('=');
        const bool drop = start != 0 && eq != std::string_view::npos && iequals(trim(body.substr(0, eq)), name);
        if (!drop) {
            out.append(segment);
        }
        start = i;
    }
    return out;
}

const mime::MimeEntity* legacyDisplayTarget(const mime::MimeEntity& payloadRoot) {
    const mime::MimeEntity* e = &payloadRoot;
    for (int depth = 0; depth < 4 && e != nullptr; ++depth) {
        if (isAttachment(*e)) {
            return nullptr;
        }
        if (e->contentType.is("text", "plain")) {
            return e;
        }
        if (e->contentType.is("multipart", "mixed") && !e->children.empty()) {
            e = &e->children.front();
        } else if (e->contentType.is("multipart", "alternative")) {
            const mime::MimeEntity* next = nullptr;
            for (const auto& c : e->children) {
                if (c.contentType.is("text", "plain") && !isAttachment(c)) {
                    next = &c;
                    break;
                }
            }
            e = next;
        } else {
            return nullptr; // text/html is left alone: its display element would need HTML
        }
    }
    return nullptr;
}

} // namespace sealpost::smime
