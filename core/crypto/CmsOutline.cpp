#include "crypto/CmsOutline.h"

#include "crypto/Asn1Util.h"

#include <algorithm>
#include <array>
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

namespace {

// The complete encoding of OID 1.2.840.113549.1.7.2 (id-signedData).
constexpr std::array<std::uint8_t, 11> kSignedDataOid = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                                         0xF7, 0x0D, 0x01, 0x07, 0x02};

// A definite-length constructed element at the start of `in` with the given tag.
std::optional<Element> definite(base::ByteView in, std::uint8_t tag) {
    auto e = readElement(in);
    if (!e || e->indefinite || e->tag != tag) {
        return std::nullopt;
    }
    return e;
}

void append(base::Bytes& out, base::ByteView bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}

std::size_t headerLength(std::size_t contentLength) {
    base::Bytes header;
    appendDerHeader(header, 0x30, contentLength);
    return header.size();
}

} // namespace

std::optional<SignedDataWithoutCertificates> cutSignedDataCertificates(base::ByteView der) {
    // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
    const auto info = definite(der, 0x30);
    if (!info) {
        return std::nullopt;
    }
    const base::ByteView infoContent = der.subspan(info->headerLength, info->contentLength);
    if (infoContent.size() < kSignedDataOid.size() ||
        !std::equal(kSignedDataOid.begin(), kSignedDataOid.end(), infoContent.begin())) {
        return std::nullopt;
    }
    const base::ByteView afterOid = infoContent.subspan(kSignedDataOid.size());
    const auto explicitTag = definite(afterOid, 0xA0);
    if (!explicitTag || explicitTag->totalLength() != afterOid.size()) {
        return std::nullopt;
    }
    const base::ByteView explicitContent = afterOid.subspan(explicitTag->headerLength, explicitTag->contentLength);
    const auto signedData = definite(explicitContent, 0x30);
    if (!signedData || signedData->totalLength() != explicitContent.size()) {
        return std::nullopt;
    }
    // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
    //                           certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos }
    const base::ByteView fields = explicitContent.subspan(signedData->headerLength, signedData->contentLength);
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        auto field = readElement(fields.subspan(pos));
        if (!field) {
            return std::nullopt;
        }
        pos += field->totalLength();
    }
    const auto certificatesField = definite(fields.subspan(pos), 0xA0);
    if (!certificatesField) {
        return std::nullopt;
    }
    SignedDataWithoutCertificates out;
    const base::ByteView set = fields.subspan(pos + certificatesField->headerLength, certificatesField->contentLength);
    for (std::size_t at = 0; at < set.size();) {
        auto cert = readElement(set.subspan(at));
        if (!cert || cert->tag != 0x30) {
            return std::nullopt; // broken, or a certificate choice other than a plain certificate
        }
        out.certificates.push_back(set.subspan(at, cert->totalLength()));
        at += cert->totalLength();
    }
    if (out.certificates.empty()) {
        return std::nullopt;
    }
    const base::ByteView before = fields.first(pos);
    const base::ByteView after = fields.subspan(pos + certificatesField->totalLength());
    const std::size_t signedDataLength = before.size() + after.size();
    const std::size_t explicitLength = headerLength(signedDataLength) + signedDataLength;
    const std::size_t infoLength = kSignedDataOid.size() + headerLength(explicitLength) + explicitLength;
    out.der.reserve(headerLength(infoLength) + infoLength);
    appendDerHeader(out.der, 0x30, infoLength);
    append(out.der, kSignedDataOid);
    appendDerHeader(out.der, 0xA0, explicitLength);
    appendDerHeader(out.der, 0x30, signedDataLength);
    append(out.der, before);
    append(out.der, after);
    return out;
}

} // namespace sealpost::crypto
