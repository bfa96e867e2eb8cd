#include "smime/MessageProtector.h"

#include "mime/Canonical.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/Base64Sink.h"
#include "smime/CipherPayload.h"
#include "smime/HeaderUtil.h"

#include <algorithm>
#include <deque>
#include <openssl/rand.h>

namespace sealpost::smime {

using base::ByteView;
using base::ErrorCode;

namespace {

// The entity being built: a list of views, some into the caller's message, some into strings
// owned here (std::deque keeps their addresses stable).
class Pieces {
public:
    void add(std::string_view s) {
        if (!s.empty()) {
            m_views.push_back(base::asBytes(s));
        }
    }
    void own(std::string s) {
        m_owned.push_back(std::move(s));
        add(m_owned.back());
    }
    // Surrounds the current content with `prefix` and `suffix`.
    void wrap(std::string prefix, std::string suffix) {
        std::vector<ByteView> inner;
        inner.swap(m_views);
        own(std::move(prefix));
        m_views.insert(m_views.end(), inner.begin(), inner.end());
        own(std::move(suffix));
    }
    // Replaces the current content with `s`.
    void replace(std::string s) {
        m_views.clear();
        own(std::move(s));
    }
    [[nodiscard]] const std::vector<ByteView>& views() const { return m_views; }

private:
    std::deque<std::string> m_owned;
    std::vector<ByteView> m_views;
};

std::string randomBoundary() {
    unsigned char raw[18];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        return "sealpost-boundary-0000000000000000";
    }
    return "----sealpost-" + mime::encodeBase64(ByteView(raw, sizeof raw), 0).substr(0, 24);
}

bool isTransferEncoded(const mime::MimeEntity& e) {
    return e.transferEncoding == "base64" || e.transferEncoding == "quoted-printable";
}

bool needsRewrite(const mime::MimeEntity& e) {
    if (e.isMultipart()) {
        return std::any_of(e.children.begin(), e.children.end(), [](const auto& c) { return needsRewrite(c); });
    }
    return !isTransferEncoded(e) && !mime::analyzeText(e.body).sevenBitSafe;
}

// Which header fields of an entity go into the entity being signed or encrypted.
enum class HeaderScope {
    Part,         // a nested entity: all of its fields
    Top,          // the message itself: its Content-* fields only (the rest stays outside)
    TopProtected, // RFC 9788 hp="clear": its message fields as well, and hp on Content-Type
    TopCipher,    // RFC 9788 hp="cipher": as TopProtected (HP-Outer fields included)
    TopCipherBcc, // as TopCipher, Bcc kept inside (the sender's own copy)
};

bool isTopProtected(HeaderScope scope) {
    return scope == HeaderScope::TopProtected || scope == HeaderScope::TopCipher || scope == HeaderScope::TopCipherBcc;
}

std::string_view hpParameter(HeaderScope scope) {
    return scope == HeaderScope::TopProtected ? "; hp=\"clear\"" : "; hp=\"cipher\"";
}

// Fields that never travel inside: Bcc would reveal the blind recipients to everyone (except in
// the sender's own copy), trace fields belong to transport.
bool isUnprotectable(std::string_view name, HeaderScope scope) {
    return iequals(name, "MIME-Version") || (iequals(name, "Bcc") && scope != HeaderScope::TopCipherBcc) ||
           iequals(name, "Received") || iequals(name, "Return-Path");
}

// The header fields of `e` for `scope` with CRLF line ends, optionally replacing
// Content-Transfer-Encoding.
std::string contentHeaders(const mime::MimeEntity& e, std::string_view newEncoding, HeaderScope scope) {
    std::string out;
    for (const auto& h : e.headers) {
        const bool content = isContentField(h.name);
        if (scope == HeaderScope::Top && !content) {
            continue;
        }
        if (isTopProtected(scope) && !content && isUnprotectable(h.name, scope)) {
            continue;
        }
        if (!newEncoding.empty() && iequals(h.name, "Content-Transfer-Encoding")) {
            continue;
        }
        std::string line = headerLine(h);
        if (isTopProtected(scope) && iequals(h.name, "Content-Type")) {
            line.insert(line.size() - 2, hpParameter(scope));
        }
        out += line;
    }
    if (scope != HeaderScope::Part && e.header("Content-Type") == nullptr) {
        out += "Content-Type: text/plain; charset=us-ascii";
        if (isTopProtected(scope)) {
            out += hpParameter(scope);
        }
        out += "\r\n";
    }
    if (!newEncoding.empty()) {
        out += "Content-Transfer-Encoding: ";
        out += newEncoding;
        out += "\r\n";
    }
    return out;
}

void appendCanonical(const mime::MimeEntity& e, HeaderScope scope, Pieces& out);

void appendBody(std::string_view body, bool crlfCanonical, Pieces& out) {
    if (crlfCanonical) {
        out.add(body);
    } else {
        out.own(mime::toCrlf(body));
    }
}

void appendLeaf(const mime::MimeEntity& e, HeaderScope scope, Pieces& out) {
    const mime::TextShape shape = mime::analyzeText(e.body); // one pass decides everything
    if (shape.sevenBitSafe || isTransferEncoded(e)) {
        out.own(contentHeaders(e, {}, scope) + "\r\n");
        appendBody(e.body, shape.crlfCanonical, out);
        return;
    }
    if (e.contentType.is("message", "rfc822")) {
        // RFC 2046 5.2.1: an embedded message may not be base64- or QP-encoded; canonicalise
        // the message inside instead.
        auto inner = mime::parseEntity(e.body);
        if (inner) {
            out.own(contentHeaders(e, {}, scope) + "\r\n");
            appendCanonical(*inner, HeaderScope::Part, out);
            return;
        }
    }
    const bool text = e.contentType.type == "text";
    out.own(contentHeaders(e, text ? "quoted-printable" : "base64", scope) + "\r\n");
    out.own(text ? mime::encodeQuotedPrintable(e.body) : mime::encodeBase64(base::asBytes(e.body)));
}

// Appends entity `e` in canonical form: CRLF everywhere, 8-bit leaves re-encoded.
void appendCanonical(const mime::MimeEntity& e, HeaderScope scope, Pieces& out) {
    if (!e.isMultipart()) {
        appendLeaf(e, scope, out);
        return;
    }
    if (!needsRewrite(e)) {
        out.own(contentHeaders(e, {}, scope) + "\r\n");
        appendBody(e.body, mime::isCrlfCanonical(e.body), out);
        return;
    }
    const std::string boundary = e.contentType.param("boundary");
    out.own(contentHeaders(e, {}, scope) + "\r\n");
    out.own(mime::toCrlf(e.preamble));
    for (const auto& child : e.children) {
        out.own("\r\n--" + boundary + "\r\n");
        appendCanonical(child, HeaderScope::Part, out);
    }
    out.own("\r\n--" + boundary + "--\r\n");
    out.own(mime::toCrlf(e.epilogue));
}

std::string outerHeaders(const mime::MimeEntity& top) {
    std::string out;
    for (const auto& h : top.headers) {
        if (!isContentField(h.name) && !iequals(h.name, "MIME-Version")) {
            out += headerLine(h);
        }
    }
    return out;
}

base::Result<void> signInto(const SignStep& step, base::TimePoint now, Pieces& entity) {
    crypto::SignOptions options;
    options.digest = step.digest;
    options.detached = step.form == SignatureForm::Detached;
    options.signingTime = now;
    options.encryptionCertificate = step.encryptionCertificate;
    std::string der;
    base::StringSink derSink(der);
    if (auto signedOk = crypto::signCms(entity.views(), step.signer, options, derSink); !signedOk) {
        return signedOk.error();
    }
    const std::string signature = mime::encodeBase64(base::asBytes(der));
    if (options.detached) {
        const std::string boundary = randomBoundary();
        entity.wrap("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=" +
                        std::string(crypto::micalgName(step.digest)) + ";\r\n boundary=\"" + boundary +
                        "\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--" + boundary +
                        "\r\n",
                    "\r\n--" + boundary +
                        "\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                        "Content-Transfer-Encoding: base64\r\n"
                        "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
                        "Content-Description: S/MIME Cryptographic Signature\r\n\r\n" +
                        signature + "\r\n--" + boundary + "--\r\n");
    } else {
        entity.replace("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n"
                       "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" +
                       signature);
    }
    return base::Ok{};
}

} // namespace

base::Result<void> protectMessage(std::string_view message, const ProtectRequest& request, base::ByteSink& out) {
    if (!request.sign && !request.encrypt) {
        return base::makeError(ErrorCode::InvalidArgument, "nothing to do: neither signing nor encryption requested");
    }
    auto parsed = mime::parseEntity(message);
    if (!parsed) {
        return parsed.error();
    }
    const mime::MimeEntity& top = *parsed;
    if (request.protectHeaders && !top.contentType.param("hp").empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "the Content-Type already has an hp parameter");
    }
    // hp="cipher": the payload is a rewritten copy of the message (HP-Outer fields, legacy display
    // element) and the outer header is obscured; these buffers back the entity's views.
    std::string crlfMessage;
    CipherPayload cipherPayload;
    std::optional<mime::MimeEntity> payloadTop;
    const mime::MimeEntity* content = &top;
    HeaderScope scope = request.protectHeaders ? HeaderScope::TopProtected : HeaderScope::Top;
    std::string head;
    if (request.protectHeaders && request.encrypt) {
        crlfMessage = mime::toCrlf(message);
        auto crlfTop = mime::parseEntity(crlfMessage);
        if (!crlfTop) {
            return crlfTop.error();
        }
        auto prepared = prepareCipherPayload(*crlfTop, request.legacyDisplay);
        if (!prepared) {
            return prepared.error();
        }
        cipherPayload = std::move(prepared).value();
        auto reparsed = mime::parseEntity(cipherPayload.message);
        if (!reparsed) {
            return reparsed.error();
        }
        payloadTop = std::move(reparsed).value();
        content = &*payloadTop;
        scope = request.keepBcc ? HeaderScope::TopCipherBcc : HeaderScope::TopCipher;
        head = cipherPayload.outerHeader;
    } else {
        head = outerHeaders(top);
    }
    head += "MIME-Version: 1.0\r\n";
    Pieces entity;
    appendCanonical(*content, scope, entity);
    if (request.sign) {
        if (auto s = signInto(*request.sign, request.now, entity); !s) {
            return s.error();
        }
    }
    if (!request.encrypt) {
        if (!out.write(base::asBytes(head))) {
            return base::makeError(ErrorCode::Io, "cannot write the output");
        }
        for (ByteView v : entity.views()) {
            if (!out.write(v)) {
                return base::makeError(ErrorCode::Io, "cannot write the output");
            }
        }
        return base::Ok{};
    }
    const bool gcm = crypto::isAuthenticated(request.encrypt->options.cipher);
    head += std::string("Content-Type: application/pkcs7-mime; smime-type=") +
            (gcm ? "authEnveloped-data" : "enveloped-data") +
            "; name=\"smime.p7m\"\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n";
    if (!out.write(base::asBytes(head))) {
        return base::makeError(ErrorCode::Io, "cannot write the output");
    }
    Base64Sink base64(out);
    if (auto e = crypto::encryptCms(entity.views(), request.encrypt->recipients, request.encrypt->options, base64);
        !e) {
        return e.error();
    }
    if (!base64.finish()) {
        return base::makeError(ErrorCode::Io, "cannot write the output");
    }
    return base::Ok{};
}

} // namespace sealpost::smime
