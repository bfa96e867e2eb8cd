#include "crypto/CmsOutline.h"

#include <openssl/objects.h>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

// A minimal BER reader: enough to step over the outer layers of (Auth)EnvelopedData, which
// OpenSSL and NSS write with indefinite lengths when streaming.
struct Element {
    std::uint8_t tag = 0;
    std::size_t headerLength = 0;
    std::size_t contentLength = 0; // for indefinite: up to (excluding) the end-of-contents octets
    bool indefinite = false;
    [[nodiscard]] std::size_t totalLength() const { return headerLength + contentLength + (indefinite ? 2 : 0); }
};

constexpr int kMaxDepth = 32;

std::optional<Element> readElement(base::ByteView in, int depth = 0);

// Length of the content of an indefinite-length element starting at `in` (its children).
std::optional<std::size_t> indefiniteContentLength(base::ByteView in, int depth) {
    std::size_t pos = 0;
    while (pos + 2 <= in.size()) {
        if (in[pos] == 0 && in[pos + 1] == 0) {
            return pos;
        }
        auto child = readElement(in.subspan(pos), depth + 1);
        if (!child) {
            return std::nullopt;
        }
        pos += child->totalLength();
    }
    return std::nullopt;
}

std::optional<Element> readElement(base::ByteView in, int depth) {
    if (in.size() < 2 || depth > kMaxDepth || (in[0] & 0x1F) == 0x1F) { // no multi-byte tags in CMS
        return std::nullopt;
    }
    Element e;
    e.tag = in[0];
    const std::uint8_t first = in[1];
    std::size_t pos = 2;
    if (first == 0x80) {
        if ((e.tag & 0x20) == 0) {
            return std::nullopt; // only constructed encodings may be indefinite
        }
        e.indefinite = true;
        e.headerLength = pos;
        auto len = indefiniteContentLength(in.subspan(pos), depth);
        if (!len) {
            return std::nullopt;
        }
        e.contentLength = *len;
        return e;
    }
    if (first < 0x80) {
        e.contentLength = first;
    } else {
        const std::size_t n = first & 0x7F;
        if (n > sizeof(std::size_t) || pos + n > in.size()) {
            return std::nullopt;
        }
        for (std::size_t i = 0; i < n; ++i) {
            e.contentLength = (e.contentLength << 8) | in[pos++];
        }
    }
    e.headerLength = pos;
    if (e.contentLength > in.size() - pos) {
        return std::nullopt;
    }
    return e;
}

std::string oidToText(base::ByteView oidElement) {
    const unsigned char* p = oidElement.data();
    ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oidElement.size()));
    if (obj == nullptr) {
        return {};
    }
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, obj, 1);
    ASN1_OBJECT_free(obj);
    return buf;
}

std::optional<ContentCipher> cipherForOid(std::string_view oid) {
    if (oid == "2.16.840.1.101.3.4.1.46")
        return ContentCipher::Aes256Gcm;
    if (oid == "2.16.840.1.101.3.4.1.6")
        return ContentCipher::Aes128Gcm;
    if (oid == "2.16.840.1.101.3.4.1.42")
        return ContentCipher::Aes256Cbc;
    if (oid == "2.16.840.1.101.3.4.1.2")
        return ContentCipher::Aes128Cbc;
    return std::nullopt;
}

// One child element and its bytes; `valid` is false past the end or on broken input.
struct Node {
    bool valid = false;
    Element first;
    base::ByteView second;
    explicit operator bool() const { return valid; }
    const Node* operator->() const { return this; }
};

// Cursor over the children of a constructed element.
class Children {
public:
    Children(base::ByteView whole, const Element& e) : m_in(whole.subspan(e.headerLength, e.contentLength)) {}
    Node next() {
        Node n;
        if (m_pos >= m_in.size()) {
            return n;
        }
        auto e = readElement(m_in.subspan(m_pos));
        if (!e) {
            m_pos = m_in.size();
            return n;
        }
        n.valid = true;
        n.first = *e;
        n.second = m_in.subspan(m_pos, e->totalLength());
        m_pos += e->totalLength();
        return n;
    }

private:
    base::ByteView m_in;
    std::size_t m_pos = 0;
};

base::Error malformed(std::string what) {
    return base::makeError(ErrorCode::MalformedInput, std::move(what));
}

} // namespace

base::Result<CmsOutline> inspectCms(base::ByteView der) {
    const auto outer = readElement(der);
    if (!outer || outer->tag != 0x30) {
        return malformed("not a CMS ContentInfo (no outer SEQUENCE)");
    }
    const Element outerElement = *outer;
    Children info(der, outerElement);
    auto oid = info.next();
    if (!oid || oid->first.tag != 0x06) {
        return malformed("not a CMS ContentInfo (no contentType)");
    }
    CmsOutline outline;
    outline.contentTypeOid = oidToText(oid->second);
    if (outline.contentTypeOid == "1.2.840.113549.1.7.2") {
        outline.type = CmsContentType::SignedData;
    } else if (outline.contentTypeOid == "1.2.840.113549.1.7.3") {
        outline.type = CmsContentType::EnvelopedData;
    } else if (outline.contentTypeOid == "1.2.840.113549.1.9.16.1.23") {
        outline.type = CmsContentType::AuthEnvelopedData;
    } else if (outline.contentTypeOid == "1.2.840.113549.1.7.1") {
        outline.type = CmsContentType::Data;
    }
    if (outline.type != CmsContentType::EnvelopedData && outline.type != CmsContentType::AuthEnvelopedData) {
        return outline;
    }
    // [0] EXPLICIT { SEQUENCE { version, [0] originatorInfo OPTIONAL, recipientInfos SET,
    //                           encryptedContentInfo SEQUENCE { contentType, contentEncryptionAlgorithm, ... } } }
    auto explicitTag = info.next();
    if (!explicitTag || explicitTag->first.tag != 0xA0) {
        return malformed("enveloped data without content");
    }
    auto body = Children(explicitTag->second, explicitTag->first).next();
    if (!body || body->first.tag != 0x30) {
        return malformed("enveloped data is not a SEQUENCE");
    }
    Children fields(body->second, body->first);
    for (auto f = fields.next(); f; f = fields.next()) {
        if (f->first.tag != 0x30) {
            continue; // version, originatorInfo, recipientInfos
        }
        Children eci(f->second, f->first);
        auto contentType = eci.next();
        auto algorithm = eci.next();
        if (!contentType || !algorithm || algorithm->first.tag != 0x30) {
            break;
        }
        auto algOid = Children(algorithm->second, algorithm->first).next();
        if (algOid && algOid->first.tag == 0x06) {
            outline.contentEncryptionOid = oidToText(algOid->second);
            outline.cipher = cipherForOid(outline.contentEncryptionOid);
            return outline;
        }
        break;
    }
    return malformed("enveloped data without a content-encryption algorithm");
}

} // namespace sealpost::crypto
