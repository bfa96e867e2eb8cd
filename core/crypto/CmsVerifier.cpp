#include "crypto/CmsVerifier.h"

#include "crypto/Asn1Util.h"
#include "crypto/BioAdapters.h"
#include "crypto/CertificateChain.h"
#include "crypto/CmsOutline.h"
#include "crypto/OpenSslError.h"

#include <array>
#include <chrono>
#include <ctime>
#include <openssl/objects.h>
#include <vector>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

constexpr const char* kMsEncryptionKeyPreferenceOid = "1.3.6.1.4.1.311.16.4";

const ASN1_TYPE* signedAttribute(CMS_SignerInfo* si, const ASN1_OBJECT* oid) {
    const int idx = CMS_signed_get_attr_by_OBJ(si, oid, -1);
    if (idx < 0) {
        return nullptr;
    }
    X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
    return attr != nullptr && X509_ATTRIBUTE_count(attr) == 1 ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
}

std::optional<base::TimePoint> readSigningTime(CMS_SignerInfo* si) {
    const ASN1_TYPE* t = signedAttribute(si, OBJ_nid2obj(NID_pkcs9_signingTime));
    if (t == nullptr || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)) {
        return std::nullopt;
    }
    struct tm tmv {};
    if (ASN1_TIME_to_tm(t->value.utctime, &tmv) != 1) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(timegm(&tmv));
}

void readCapabilities(CMS_SignerInfo* si, SignerResult& r) {
    const ASN1_TYPE* t = signedAttribute(si, OBJ_nid2obj(NID_SMIMECapabilities));
    if (t == nullptr || t->type != V_ASN1_SEQUENCE) {
        return;
    }
    const unsigned char* p = ASN1_STRING_get0_data(t->value.sequence);
    X509AlgorStackPtr algs(d2i_X509_ALGORS(nullptr, &p, ASN1_STRING_length(t->value.sequence)));
    if (!algs) {
        clearOpenSslErrors();
        return;
    }
    r.announcedCapabilities = true;
    for (int i = 0; i < sk_X509_ALGOR_num(algs.get()); ++i) {
        const ASN1_OBJECT* obj = nullptr;
        X509_ALGOR_get0(&obj, nullptr, nullptr, sk_X509_ALGOR_value(algs.get(), i));
        switch (OBJ_obj2nid(obj)) {
        case NID_aes_256_gcm: r.capabilities.push_back(ContentCipher::Aes256Gcm); break;
        case NID_aes_128_gcm: r.capabilities.push_back(ContentCipher::Aes128Gcm); break;
        case NID_aes_256_cbc: r.capabilities.push_back(ContentCipher::Aes256Cbc); break;
        case NID_aes_128_cbc: r.capabilities.push_back(ContentCipher::Aes128Cbc); break;
        default: break;
        }
    }
}

std::optional<Certificate> readEncryptionKeyPreference(CMS_SignerInfo* si, STACK_OF(X509) * bag) {
    OsslPtr<ASN1_OBJECT> msOid(OBJ_txt2obj(kMsEncryptionKeyPreferenceOid, 1));
    const std::array<const ASN1_OBJECT*, 2> oids = {OBJ_nid2obj(NID_id_smime_aa_encrypKeyPref), msOid.get()};
    for (const ASN1_OBJECT* oid : oids) {
        const ASN1_TYPE* t = signedAttribute(si, oid);
        // Non-universal and SEQUENCE values keep their whole encoding, tag included.
        if (t == nullptr || (t->type != V_ASN1_OTHER && t->type != V_ASN1_SEQUENCE)) {
            continue;
        }
        const ASN1_STRING* s = t->value.asn1_string;
        const base::ByteView encoded(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s)));
        if (X509* found = findByIssuerAndSerial(encoded, bag)) {
            return Certificate::share(found);
        }
    }
    return std::nullopt;
}

void judgeChain(const Certificate& signer, std::span<const Certificate> bag, const VerifyOptions& options,
                SignerResult& r) {
    ChainCheck now = checkChain(signer, bag, options.trustAnchors, options.at, ChainPurpose::SmimeSigning);
    if (now.valid) {
        r.status = SignatureStatus::Valid;
        r.chain = std::move(now.chain);
        return;
    }
    // A certificate that has expired since it signed still makes a good signature on old
    // mail, as long as the signing time is not in the future of the check time.
    const bool timeProblem = now.problem == ChainProblem::Expired || now.problem == ChainProblem::NotYetValid;
    if (timeProblem && r.signingTime && *r.signingTime <= options.at) {
        ChainCheck then = checkChain(signer, bag, options.trustAnchors, *r.signingTime, ChainPurpose::SmimeSigning);
        if (then.valid) {
            r.status = SignatureStatus::Valid;
            r.expiredSinceSigning = true;
            r.chain = std::move(then.chain);
            return;
        }
    }
    r.detail = now.detail;
    if (timeProblem) {
        r.status = SignatureStatus::Expired;
        r.problem = now.problem == ChainProblem::NotYetValid ? SignerProblem::CertificateNotYetValid
                                                             : SignerProblem::CertificateExpired;
    } else if (now.problem == ChainProblem::WrongPurpose) {
        r.status = SignatureStatus::Untrusted;
        r.problem = SignerProblem::NotForEmailProtection;
    } else {
        r.status = SignatureStatus::Untrusted;
        r.problem = SignerProblem::ChainUntrusted;
    }
}

// Frees the digest BIOs CMS_dataInit pushed, but not the caller's detached-content BIO.
void releaseDataChain(BIO* chain, BIO* detached) {
    if (detached == nullptr) {
        BIO_free_all(chain);
        return;
    }
    while (chain != nullptr && chain != detached) {
        BIO* next = BIO_pop(chain);
        BIO_free(chain);
        chain = next;
    }
}

// Parses a SignedData with its certificates taken from `cache`: the certificates field is cut
// out of the encoding, the rest parsed, and the (cached) certificates added back in their order.
// The signatures cover signedAttrs or the content, never this field, so nothing else changes.
// nullptr whenever that is not plainly possible; the caller then parses the input as it is.
OsslPtr<CMS_ContentInfo> parseWithCachedCertificates(base::ByteView der, CertificateCache& cache) {
    auto cut = cutSignedDataCertificates(der);
    if (!cut) {
        return nullptr;
    }
    auto in = memoryBio(cut->der.data(), cut->der.size());
    OsslPtr<CMS_ContentInfo> cms(in ? d2i_CMS_bio(in.get(), nullptr) : nullptr);
    if (!cms) {
        clearOpenSslErrors();
        return nullptr;
    }
    std::vector<Certificate> certs;
    certs.reserve(cut->certificates.size());
    for (const base::ByteView encoded : cut->certificates) {
        auto cert = cache.get(encoded);
        if (!cert || CMS_add1_cert(cms.get(), cert->native()) != 1) {
            clearOpenSslErrors();
            return nullptr;
        }
        certs.push_back(std::move(*cert));
    }
    // CMS_add1_cert refuses or skips a certificate already present, depending on the OpenSSL
    // version; a bag with duplicates is left to the ordinary parse, which keeps them all.
    const X509StackPtr bag(CMS_get1_certs(cms.get()));
    if (!bag || static_cast<std::size_t>(sk_X509_num(bag.get())) != certs.size()) {
        clearOpenSslErrors();
        return nullptr;
    }
    for (std::size_t i = 0; i < certs.size(); ++i) {
        if (sk_X509_value(bag.get(), static_cast<int>(i)) != certs[i].native()) {
            return nullptr;
        }
    }
    return cms;
}

OsslPtr<CMS_ContentInfo> parseSignedData(base::ByteView der, CertificateCache* cache) {
    if (cache != nullptr) {
        if (auto cms = parseWithCachedCertificates(der, *cache)) {
            return cms;
        }
    }
    auto in = memoryBio(der.data(), der.size());
    return OsslPtr<CMS_ContentInfo>(in ? d2i_CMS_bio(in.get(), nullptr) : nullptr);
}

} // namespace

base::Result<Verified> verifyCms(base::ByteView der, std::span<const base::ByteView> detachedContent,
                                 const VerifyOptions& options) {
    auto outline = inspectCms(der);
    if (!outline) {
        return outline.error();
    }
    if (outline->type != CmsContentType::SignedData) {
        return base::makeError(ErrorCode::MalformedInput,
                               "not a CMS SignedData (content type " + outline->contentTypeOid + ")");
    }
    OsslPtr<CMS_ContentInfo> cms = parseSignedData(der, options.certificateCache);
    if (!cms) {
        return openSslError(ErrorCode::MalformedInput, "broken CMS SignedData");
    }
    Verified v;
    char oid[128] = {};
    OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms.get()), 1);
    v.eContentTypeOid = oid;
    v.detached = CMS_is_detached(cms.get()) == 1;
    X509StackPtr bag(CMS_get1_certs(cms.get()));
    if (!bag) {
        bag.reset(sk_X509_new_null());
    }
    for (int i = 0; i < sk_X509_num(bag.get()); ++i) {
        v.certificates.push_back(Certificate::share(sk_X509_value(bag.get(), i)));
    }
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get()); // borrowed
    if (sk_CMS_SignerInfo_num(infos) <= 0) {
        // Nothing is signed (e.g. a certs-only message). CMS_dataInit() cannot even be set up
        // without digestAlgorithms, so report the bag and any content, with no signers.
        ASN1_OCTET_STRING** content = CMS_get0_content(cms.get()); // borrowed
        if (!v.detached && content != nullptr && *content != nullptr) {
            v.content.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                             static_cast<std::size_t>(ASN1_STRING_length(*content)));
        }
        clearOpenSslErrors();
        return v;
    }
    if (v.detached && detachedContent.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "detached signature without the signed content");
    }
    // Signer certificates may come from the bag or from the anchors.
    X509RefStackPtr extra(sk_X509_new_null());
    for (const Certificate& a : options.trustAnchors) {
        sk_X509_push(extra.get(), a.native());
    }
    CMS_set1_signers_certs(cms.get(), extra.get(), 0);
    clearOpenSslErrors(); // "signer certificate not found" is judged per signer below

    OsslPtr<BIO> detached = v.detached ? makeSourceBio(detachedContent) : nullptr;
    BIO* chain = CMS_dataInit(cms.get(), detached.get());
    if (chain == nullptr) {
        return openSslError(ErrorCode::MalformedInput, "cannot read the signed content");
    }
    char buf[16384];
    for (int n = 0; (n = BIO_read(chain, buf, sizeof buf)) > 0;) {
        if (!v.detached) {
            v.content.append(buf, static_cast<std::size_t>(n));
        }
    }
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
        CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
        SignerResult r;
        r.signingTime = readSigningTime(si);
        readCapabilities(si, r);
        r.encryptionKeyPreference = readEncryptionKeyPreference(si, bag.get());
        X509* signer = nullptr;
        CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
        if (signer == nullptr) {
            r.status = SignatureStatus::Error;
            r.problem = SignerProblem::SignerCertificateMissing;
            v.signers.push_back(std::move(r));
            continue;
        }
        r.certificate = Certificate::share(signer);
        const bool hasSignedAttributes = CMS_signed_get_attr_count(si) >= 0;
        if (hasSignedAttributes && CMS_SignerInfo_verify(si) != 1) {
            r.status = SignatureStatus::Invalid;
            r.problem = SignerProblem::BadSignature;
            r.detail = drainOpenSslErrors();
        } else if (CMS_SignerInfo_verify_content(si, chain) != 1) {
            r.status = SignatureStatus::Invalid;
            r.problem = hasSignedAttributes ? SignerProblem::DigestMismatch : SignerProblem::BadSignature;
            r.detail = drainOpenSslErrors();
        } else {
            judgeChain(*r.certificate, v.certificates, options, r);
        }
        v.signers.push_back(std::move(r));
    }
    releaseDataChain(chain, detached.get());
    return v;
}

} // namespace sealpost::crypto
