#include "crypto/CmsSigner.h"

#include "crypto/Asn1Util.h"
#include "crypto/BioAdapters.h"
#include "crypto/OpenSslError.h"

#include <array>
#include <chrono>
#include <openssl/objects.h>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

constexpr std::array kCapabilities = {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc,
                                      ContentCipher::Aes128Cbc};

// Microsoft's SMIMEEncryptionKeyPreference twin, still what Outlook reads.
constexpr const char* kMsEncryptionKeyPreferenceOid = "1.3.6.1.4.1.311.16.4";

int cipherNid(ContentCipher c) {
    switch (c) {
    case ContentCipher::Aes256Gcm: return NID_aes_256_gcm;
    case ContentCipher::Aes128Gcm: return NID_aes_128_gcm;
    case ContentCipher::Aes256Cbc: return NID_aes_256_cbc;
    case ContentCipher::Aes128Cbc: return NID_aes_128_cbc;
    }
    return NID_undef;
}

const EVP_MD* digestMd(DigestAlgorithm d) {
    switch (d) {
    case DigestAlgorithm::Sha256: return EVP_sha256();
    case DigestAlgorithm::Sha384: return EVP_sha384();
    case DigestAlgorithm::Sha512: return EVP_sha512();
    }
    return EVP_sha256();
}

bool addCapabilities(CMS_SignerInfo* si) {
    STACK_OF(X509_ALGOR)* raw = nullptr;
    for (ContentCipher c : kCapabilities) {
        if (CMS_add_simple_smimecap(&raw, cipherNid(c), -1) != 1) {
            X509AlgorStackPtr cleanup(raw);
            return false;
        }
    }
    X509AlgorStackPtr algs(raw);
    return CMS_add_smimecap(si, algs.get()) == 1;
}

// RFC 8551's SMIMEEncryptionKeyPreference carries a context-tagged ([0] IMPLICIT) value, which
// OpenSSL holds as V_ASN1_OTHER (written verbatim, tag included). CMS_signed_add1_attr_by_*()
// cannot take it: X509_ATTRIBUTE_set1_data() reads V_ASN1_OTHER (-3) as an MBSTRING_* flag and
// fails with "unknown format". X509_ATTRIBUTE_create() sets the value directly.
bool addStandardEncryptionKeyPreference(CMS_SignerInfo* si, const base::Bytes& encoded) {
    OsslPtr<ASN1_STRING> value(ASN1_STRING_type_new(V_ASN1_OTHER));
    if (!value || encoded.empty() ||
        ASN1_STRING_set(value.get(), encoded.data(), static_cast<int>(encoded.size())) != 1) {
        return false;
    }
    OsslPtr<X509_ATTRIBUTE> attr(X509_ATTRIBUTE_create(NID_id_smime_aa_encrypKeyPref, V_ASN1_OTHER, value.get()));
    if (!attr) {
        return false;
    }
    (void)value.release(); // owned by `attr` now
    return CMS_signed_add1_attr(si, attr.get()) == 1;
}

bool addEncryptionKeyPreference(CMS_SignerInfo* si, X509* cert) {
    const base::Bytes standard = encodeIssuerAndSerial(cert, 0xA0); // [0] IMPLICIT issuerAndSerialNumber
    const base::Bytes microsoft = encodeIssuerAndSerial(cert, 0x30);
    OsslPtr<ASN1_OBJECT> msOid(OBJ_txt2obj(kMsEncryptionKeyPreferenceOid, 1));
    // V_ASN1_SEQUENCE values are written verbatim, tag included.
    return !microsoft.empty() && msOid && addStandardEncryptionKeyPreference(si, standard) &&
           CMS_signed_add1_attr_by_OBJ(si, msOid.get(), V_ASN1_SEQUENCE, microsoft.data(),
                                       static_cast<int>(microsoft.size())) == 1;
}

bool addSigningTime(CMS_SignerInfo* si, base::TimePoint when) {
    const time_t t = std::chrono::system_clock::to_time_t(when);
    OsslPtr<ASN1_STRING> tt(ASN1_TIME_set(nullptr, t)); // UTCTime until 2049, as RFC 5652 requires
    return tt && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, tt->type, tt.get(), -1) == 1;
}

} // namespace

std::span<const ContentCipher> advertisedCapabilities() noexcept {
    return kCapabilities;
}

base::Result<void> signCms(std::span<const base::ByteView> content, const Identity& signer, const SignOptions& options,
                           base::ByteSink& out) {
    if (auto match = checkKeyMatchesCertificate(signer.key, signer.certificate); !match) {
        return match.error();
    }
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    if (options.detached) {
        flags |= CMS_DETACHED;
    }
    OsslPtr<CMS_ContentInfo> cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
    if (!cms) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create SignedData");
    }
    CMS_SignerInfo* si =
        CMS_add1_signer(cms.get(), signer.certificate.native(), signer.key.native(), digestMd(options.digest), flags);
    if (si == nullptr) {
        return openSslError(ErrorCode::CryptoFailure, "cannot add the signer");
    }
    const Certificate& encryptionCert = options.encryptionCertificate.value_or(signer.certificate);
    if (!addSigningTime(si, options.signingTime) || !addCapabilities(si) ||
        !addEncryptionKeyPreference(si, encryptionCert.native())) {
        return openSslError(ErrorCode::CryptoFailure, "cannot add the signed attributes");
    }
    if (options.encryptionCertificate && !(*options.encryptionCertificate == signer.certificate) &&
        CMS_add1_cert(cms.get(), options.encryptionCertificate->native()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot attach the encryption certificate");
    }
    for (const Certificate& c : options.includeChain ? signer.chain : std::vector<Certificate>{}) {
        if (CMS_add1_cert(cms.get(), c.native()) != 1) {
            clearOpenSslErrors(); // a duplicate in the chain is harmless
        }
    }
    OsslPtr<BIO> source = makeSourceBio(content);
    if (CMS_final(cms.get(), source.get(), nullptr, flags) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "signing failed");
    }
    OsslPtr<BIO> sink = makeSinkBio(out);
    if (i2d_CMS_bio(sink.get(), cms.get()) != 1) {
        return openSslError(ErrorCode::Io, "cannot write the signature");
    }
    return base::Ok{};
}

} // namespace sealpost::crypto
