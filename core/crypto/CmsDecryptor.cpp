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

namespace {

// The key-transport recipientInfo issued to `cert`, or null.
CMS_RecipientInfo* keyTransportFor(CMS_ContentInfo* cms, X509* cert) {
    STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms);
    for (int i = 0; i < sk_CMS_RecipientInfo_num(infos); ++i) {
        CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS && CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0) {
            return ri;
        }
    }
    return nullptr;
}

// Whether a key-agreement recipientInfo names `cert`.
bool keyAgreementFor(CMS_ContentInfo* cms, X509* cert) {
    STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms);
    for (int i = 0; i < sk_CMS_RecipientInfo_num(infos); ++i) {
        CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
        if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_AGREE) {
            continue;
        }
        STACK_OF(CMS_RecipientEncryptedKey)* keys = CMS_RecipientInfo_kari_get0_reks(ri);
        for (int k = 0; k < sk_CMS_RecipientEncryptedKey_num(keys); ++k) {
            if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(keys, k), cert) == 0) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

base::Result<std::size_t> CmsDecryptor::selectRecipient(std::span<const Identity> identities) {
    for (std::size_t i = 0; i < identities.size(); ++i) {
        const Identity& id = identities[i];
        // RSA key transport is decrypted here rather than by CMS_decrypt_set1_pkey_and_peer():
        // OpenSSL's countermeasure against Bleichenbacher's attack there answers a failed key
        // transport with a random content key instead of an error, and with CBC about one such
        // message in 256 then "decrypts" to garbage. A mail client reveals nothing an attacker can
        // use by saying "cannot decrypt" (nobody answers the sender automatically); Thunderbird's
        // NSS says it too. See docs/design-notes.md.
        if (CMS_RecipientInfo* ri = keyTransportFor(m_cms.get(), id.certificate.native())) {
            EVP_PKEY_up_ref(id.key.native()); // set0: the recipientInfo takes this reference
            CMS_RecipientInfo_set0_pkey(ri, id.key.native());
            const int decrypted = CMS_RecipientInfo_decrypt(m_cms.get(), ri);
            CMS_RecipientInfo_set0_pkey(ri, nullptr);
            if (decrypted == 1) {
                return i;
            }
            return decryptionFailed(id); // ours by name, but the key does not open it
        }
        // Key agreement reports its failures itself.
        if (CMS_decrypt_set1_pkey_and_peer(m_cms.get(), id.key.native(), id.certificate.native(), nullptr) == 1) {
            return i;
        }
        if (keyAgreementFor(m_cms.get(), id.certificate.native())) {
            return decryptionFailed(id);
        }
        clearOpenSslErrors();
    }
    return base::makeError(ErrorCode::NoMatchingKey, "none of the given keys is a recipient of this message");
}

Decrypted CmsDecryptor::describe(std::size_t keyIndex) const {
    Decrypted result;
    result.type = m_outline.type;
    result.contentEncryptionOid = m_outline.contentEncryptionOid;
    result.cipher = m_outline.cipher;
    result.keyIndex = keyIndex;
    return result;
}

base::Error CmsDecryptor::decryptionFailed(const Identity& id) {
    return openSslError(ErrorCode::DecryptionFailed, "the message is addressed to " + id.certificate.subject() +
                                                         " but its content does not decrypt (wrong key, or tampered)");
}

base::Result<Decrypted> CmsDecryptor::decrypt(std::span<const Identity> identities) {
    auto index = selectRecipient(identities);
    if (!index) {
        return index.error();
    }
    CMS_ContentInfo* cms = m_cms.get();
    Decrypted result = describe(*index);
    // The plaintext is never longer than the ciphertext: one allocation, no regrowth copies.
    ASN1_OCTET_STRING** content = CMS_get0_content(cms);
    if (content != nullptr && *content != nullptr) {
        result.content.reserve(static_cast<std::size_t>(ASN1_STRING_length(*content)));
    }
    base::StringSink sink(result.content);
    OsslPtr<BIO> out = makeSinkBio(sink);
    if (!out) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create a BIO");
    }
    if (CMS_decrypt(cms, nullptr, nullptr, nullptr, out.get(), CMS_BINARY) != 1) {
        base::secureWipe(result.content.data(), result.content.size());
        return decryptionFailed(identities[*index]);
    }
    return result;
}

base::Result<Decrypted> CmsDecryptor::decryptDetached(std::span<const Identity> identities, std::string content) {
    ASN1_OCTET_STRING** embedded = CMS_get0_content(m_cms.get());
    if (embedded != nullptr && *embedded != nullptr) {
        return base::makeError(ErrorCode::InvalidArgument, "the CMS structure carries its own encrypted content");
    }
    auto index = selectRecipient(identities);
    if (!index) {
        return index.error();
    }
    Decrypted result = describe(*index);
    result.content = std::move(content);
    InPlaceState state{std::span(reinterpret_cast<std::uint8_t*>(result.content.data()), result.content.size())};
    InPlaceBios bios = makeInPlaceBios(state);
    if (!bios.source || !bios.sink) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create a BIO");
    }
    const bool ok = CMS_decrypt(m_cms.get(), nullptr, nullptr, bios.source.get(), bios.sink.get(), CMS_BINARY) == 1;
    if (!ok || state.read != result.content.size()) {
        // Ciphertext and whatever plaintext was produced: nothing of it leaves this function.
        base::secureWipe(result.content.data(), result.content.size());
        return ok ? base::makeError(ErrorCode::DecryptionFailed, "the encrypted content was not read to its end")
                  : decryptionFailed(identities[*index]);
    }
    result.content.resize(state.written);
    return result;
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
