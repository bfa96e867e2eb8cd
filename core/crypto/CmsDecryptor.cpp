#include "crypto/CmsDecryptor.h"

#include "base/SecureBuffer.h"
#include "crypto/BioAdapters.h"
#include "crypto/OpenSslError.h"

#include <climits>

namespace sealpost::crypto {

using base::ErrorCode;

base::Result<CmsDecryptor> CmsDecryptor::parse(base::ByteView der) {
    auto outline = inspectCms(der);
    if (!outline) {
        return outline.error();
    }
    if (outline->type != CmsContentType::EnvelopedData && outline->type != CmsContentType::AuthEnvelopedData) {
        return base::makeError(ErrorCode::MalformedInput,
                               "not an encrypted CMS message (content type " + outline->contentTypeOid + ")");
    }
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return base::makeError(ErrorCode::LimitExceeded, "CMS message too large");
    }
    // Straight from our buffer: d2i_CMS_bio() would first copy the whole DER into a BUF_MEM.
    const unsigned char* p = der.data();
    OsslPtr<CMS_ContentInfo> cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
    if (!cms) {
        return openSslError(ErrorCode::MalformedInput, "broken CMS structure");
    }
    return CmsDecryptor(std::shared_ptr<CMS_ContentInfo_st>(std::move(cms)), std::move(outline).value());
}

base::Result<Decrypted> CmsDecryptor::decrypt(std::span<const Identity> identities) {
    CMS_ContentInfo* cms = m_cms.get();
    for (std::size_t i = 0; i < identities.size(); ++i) {
        const Identity& id = identities[i];
        // With the certificate given, OpenSSL only tries the recipientInfo issued to it, and on
        // an RSA padding failure continues with a random key (Bleichenbacher countermeasure).
        if (CMS_decrypt_set1_pkey_and_peer(cms, id.key.native(), id.certificate.native(), nullptr) != 1) {
            clearOpenSslErrors();
            continue;
        }
        Decrypted result;
        // The plaintext is never longer than the ciphertext: one allocation, no regrowth copies.
        ASN1_OCTET_STRING** content = CMS_get0_content(cms);
        if (content != nullptr && *content != nullptr) {
            result.content.reserve(static_cast<std::size_t>(ASN1_STRING_length(*content)));
        }
        base::StringSink sink(result.content);
        OsslPtr<BIO> out = makeSinkBio(sink);
        if (CMS_decrypt(cms, nullptr, nullptr, nullptr, out.get(), CMS_BINARY) != 1) {
            base::secureWipe(result.content.data(), result.content.size());
            return openSslError(ErrorCode::DecryptionFailed,
                                "the message is addressed to " + id.certificate.subject() +
                                    " but its content does not decrypt (wrong key, or tampered)");
        }
        result.type = m_outline.type;
        result.contentEncryptionOid = m_outline.contentEncryptionOid;
        result.cipher = m_outline.cipher;
        result.keyIndex = i;
        return result;
    }
    return base::makeError(ErrorCode::NoMatchingKey, "none of the given keys is a recipient of this message");
}

base::Result<base::Bytes> CmsDecryptor::encode() const {
    unsigned char* der = nullptr;
    const int length = i2d_CMS_ContentInfo(m_cms.get(), &der);
    if (length <= 0 || der == nullptr) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the CMS structure");
    }
    base::Bytes out(der, der + length);
    OPENSSL_free(der);
    return out;
}

base::Result<Decrypted> decryptCms(base::ByteView der, std::span<const Identity> identities) {
    auto parsed = CmsDecryptor::parse(der);
    if (!parsed) {
        return parsed.error();
    }
    return parsed->decrypt(identities);
}

} // namespace sealpost::crypto
