#include "crypto/CmsDecryptor.h"

#include "crypto/BioAdapters.h"
#include "base/SecureBuffer.h"
#include "crypto/OpenSslError.h"

namespace sealpost::crypto {

using base::ErrorCode;

base::Result<Decrypted> decryptCms(base::ByteView der, std::span<const Identity> identities) {
    auto outline = inspectCms(der);
    if (!outline) {
        return outline.error();
    }
    if (outline->type != CmsContentType::EnvelopedData && outline->type != CmsContentType::AuthEnvelopedData) {
        return base::makeError(ErrorCode::MalformedInput, "not an encrypted CMS message (content type " +
                                                              outline->contentTypeOid + ")");
    }
    auto in = memoryBio(der.data(), der.size());
    OsslPtr<CMS_ContentInfo> cms(in ? d2i_CMS_bio(in.get(), nullptr) : nullptr);
    if (!cms) {
        return openSslError(ErrorCode::MalformedInput, "broken CMS structure");
    }
    for (std::size_t i = 0; i < identities.size(); ++i) {
        const Identity& id = identities[i];
        // With the certificate given, OpenSSL only tries the recipientInfo issued to it, and on
        // an RSA padding failure continues with a random key (Bleichenbacher countermeasure).
        if (CMS_decrypt_set1_pkey_and_peer(cms.get(), id.key.native(), id.certificate.native(), nullptr) != 1) {
            clearOpenSslErrors();
            continue;
        }
        Decrypted result;
        base::StringSink sink(result.content);
        OsslPtr<BIO> out = makeSinkBio(sink);
        if (CMS_decrypt(cms.get(), nullptr, nullptr, nullptr, out.get(), CMS_BINARY) != 1) {
            base::secureWipe(result.content.data(), result.content.size());
            return openSslError(ErrorCode::DecryptionFailed,
                                "the message is addressed to " + id.certificate.subject() +
                                    " but its content does not decrypt (wrong key, or tampered)");
        }
        result.type = outline->type;
        result.contentEncryptionOid = outline->contentEncryptionOid;
        result.cipher = outline->cipher;
        result.keyIndex = i;
        return result;
    }
    return base::makeError(ErrorCode::NoMatchingKey, "none of the given keys is a recipient of this message");
}

} // namespace sealpost::crypto
