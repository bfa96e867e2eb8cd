#include "crypto/CmsEncryptor.h"

#include "crypto/BioAdapters.h"
#include "crypto/OpenSslError.h"

#include <algorithm>
#include <openssl/rsa.h>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

const EVP_CIPHER* evpCipher(ContentCipher c) {
    switch (c) {
    case ContentCipher::Aes256Gcm: return EVP_aes_256_gcm();
    case ContentCipher::Aes128Gcm: return EVP_aes_128_gcm();
    case ContentCipher::Aes256Cbc: return EVP_aes_256_cbc();
    case ContentCipher::Aes128Cbc: return EVP_aes_128_cbc();
    }
    return nullptr;
}

base::Result<void> addRecipient(CMS_ContentInfo* cms, const Certificate& cert, RsaPadding padding) {
    EVP_PKEY* pub = X509_get0_pubkey(cert.native());
    if (pub == nullptr) {
        return openSslError(ErrorCode::InvalidArgument, "recipient certificate has no usable public key");
    }
    const bool rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
    const bool ec = EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC;
    if (!rsa && !ec) {
        return base::makeError(ErrorCode::Unsupported, "recipient key is neither RSA nor EC: " + cert.subject());
    }
    const bool oaep = rsa && padding == RsaPadding::Oaep;
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, cert.native(), oaep ? CMS_KEY_PARAM : 0);
    if (ri == nullptr) {
        return openSslError(ErrorCode::CryptoFailure, "cannot add recipient " + cert.subject());
    }
    if (oaep) {
        EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri); // borrowed
        if (pctx == nullptr || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
            return openSslError(ErrorCode::CryptoFailure, "cannot select RSA-OAEP");
        }
    }
    return base::Ok{};
}

} // namespace

base::Result<void> encryptCms(std::span<const base::ByteView> content, std::span<const Certificate> recipients,
                              const EncryptOptions& options, base::ByteSink& out) {
    if (recipients.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "no recipients to encrypt to");
    }
    const unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
    // OpenSSL makes AuthEnvelopedData for AEAD ciphers and EnvelopedData otherwise.
    OsslPtr<CMS_ContentInfo> cms(CMS_encrypt(nullptr, nullptr, evpCipher(options.cipher), flags));
    if (!cms) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create EnvelopedData");
    }
    for (const Certificate& cert : recipients) {
        if (auto added = addRecipient(cms.get(), cert, options.rsaPadding); !added) {
            return added.error();
        }
    }
    OsslPtr<BIO> source = makeSourceBio(content);
    OsslPtr<BIO> sink = makeSinkBio(out);
    // OpenSSL's streaming ASN.1 BIO writes its header with the first content byte; when no byte
    // ever reaches it (empty content with GCM, which adds no padding), its flush fails. There is
    // nothing to stream then, so encode in memory.
    const bool empty = std::all_of(content.begin(), content.end(), [](base::ByteView p) { return p.empty(); });
    if (empty) {
        if (CMS_final(cms.get(), source.get(), nullptr, CMS_BINARY) != 1) {
            return openSslError(ErrorCode::CryptoFailure, "encryption failed");
        }
        if (i2d_CMS_bio(sink.get(), cms.get()) != 1) {
            return openSslError(ErrorCode::Io, "cannot write the encrypted message");
        }
        return base::Ok{};
    }
    if (i2d_CMS_bio_stream(sink.get(), cms.get(), source.get(), static_cast<int>(flags)) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "encryption failed");
    }
    return base::Ok{};
}

} // namespace sealpost::crypto
