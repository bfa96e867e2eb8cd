#include "crypto/Certificate.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

std::string nameToString(const X509_NAME* name) {
    OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string asn1StringToUtf8(const ASN1_STRING* s) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0) {
        return {};
    }
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

// Lower-cases the whole addr-spec: local parts are case-sensitive in theory, but every
// real mail system treats them case-insensitively, and so does hasEmailAddress().
std::string normaliseAddress(std::string address) {
    std::transform(address.begin(), address.end(), address.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return address;
}

base::TimePoint asn1TimeToTimePoint(const ASN1_TIME* t) {
    struct tm tmv {};
    if (ASN1_TIME_to_tm(t, &tmv) != 1) {
        return {};
    }
    return std::chrono::system_clock::from_time_t(timegm(&tmv));
}

} // namespace

Certificate Certificate::adopt(x509_st* cert) {
    return Certificate(std::shared_ptr<x509_st>(cert, X509_free));
}

Certificate Certificate::share(x509_st* cert) {
    X509_up_ref(cert);
    return adopt(cert);
}

base::Result<std::vector<Certificate>> Certificate::parseAll(base::ByteView data) {
    std::vector<Certificate> certs;
    const std::string_view text = base::asString(data);
    if (text.find("-----BEGIN") != std::string_view::npos) {
        auto bio = memoryBio(data.data(), data.size());
        if (!bio) {
            return base::makeError(ErrorCode::LimitExceeded, "certificate file too large");
        }
        while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            certs.push_back(adopt(cert));
        }
        // Reading stops with "no start line" at the end; anything else is a broken block.
        const unsigned long err = ERR_peek_last_error();
        if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
            return openSslError(ErrorCode::MalformedInput, "broken PEM certificate");
        }
        clearOpenSslErrors();
        if (certs.empty()) {
            return base::makeError(ErrorCode::MalformedInput, "no PEM CERTIFICATE block found");
        }
        return certs;
    }
    const unsigned char* p = data.data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(data.size()));
    if (cert == nullptr) {
        return openSslError(ErrorCode::MalformedInput, "not a PEM or DER certificate");
    }
    certs.push_back(adopt(cert));
    return certs;
}

base::Result<std::vector<Certificate>> Certificate::parseConcatenatedDer(base::ByteView data) {
    std::vector<Certificate> certs;
    const unsigned char* p = data.data();
    const unsigned char* const end = data.data() + data.size();
    while (p < end) {
        X509* cert = d2i_X509(nullptr, &p, static_cast<long>(end - p));
        if (cert == nullptr) {
            return openSslError(ErrorCode::MalformedInput, "broken DER certificate in a sequence");
        }
        certs.push_back(adopt(cert));
    }
    return certs;
}

std::string Certificate::subject() const {
    return nameToString(X509_get_subject_name(native()));
}
std::string Certificate::issuer() const {
    return nameToString(X509_get_issuer_name(native()));
}

std::string Certificate::serialHex() const {
    OsslPtr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(native()), nullptr));
    if (!bn) {
        return {};
    }
    char* hex = BN_bn2hex(bn.get());
    std::string out(hex);
    OPENSSL_free(hex);
    return out;
}

std::vector<std::string> Certificate::emailAddresses() const {
    std::vector<std::string> out;
    auto add = [&out](std::string address) {
        address = normaliseAddress(std::move(address));
        if (!address.empty() && std::find(out.begin(), out.end(), address) == out.end()) {
            out.push_back(std::move(address));
        }
    };
    OsslPtr<GENERAL_NAMES> names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(native(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_EMAIL) {
            add(asn1StringToUtf8(gn->d.rfc822Name));
        }
    }
    const X509_NAME* subject = X509_get_subject_name(native());
    for (int idx = -1; (idx = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, idx)) >= 0;) {
        add(asn1StringToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx))));
    }
    return out;
}

bool Certificate::hasEmailAddress(std::string_view address) const {
    const std::string wanted = normaliseAddress(std::string(address));
    const auto all = emailAddresses();
    return std::find(all.begin(), all.end(), wanted) != all.end();
}

base::TimePoint Certificate::notBefore() const {
    return asn1TimeToTimePoint(X509_get0_notBefore(native()));
}
base::TimePoint Certificate::notAfter() const {
    return asn1TimeToTimePoint(X509_get0_notAfter(native()));
}

bool Certificate::isSelfIssued() const {
    return X509_NAME_cmp(X509_get_subject_name(native()), X509_get_issuer_name(native())) == 0;
}

base::Bytes Certificate::der() const {
    const int len = i2d_X509(native(), nullptr);
    if (len <= 0) {
        return {};
    }
    base::Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_X509(native(), &p);
    return out;
}

std::string Certificate::pem() const {
    OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), native());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(len)};
}

std::string Certificate::sha256Fingerprint() const {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(native(), EVP_sha256(), md, &len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 0xF];
    }
    return out;
}

bool operator==(const Certificate& a, const Certificate& b) {
    return X509_cmp(a.native(), b.native()) == 0;
}

namespace {

// The body of the first PEM block labelled PKCS7 (the classic label) or CMS; empty when none.
base::Bytes pemBlock(BIO* bio) {
    for (;;) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* body = nullptr;
        long len = 0;
        if (PEM_read_bio(bio, &name, &header, &body, &len) != 1) {
            clearOpenSslErrors();
            return {};
        }
        const std::string label(name);
        base::Bytes out;
        if (label == PEM_STRING_PKCS7 || label == PEM_STRING_CMS) {
            out.assign(body, body + len);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(body);
        if (!out.empty()) {
            return out;
        }
    }
}

} // namespace

base::Result<std::vector<Certificate>> parseCertificateBundle(base::ByteView data) {
    auto plain = Certificate::parseAll(data);
    if (plain) {
        return plain;
    }
    auto bio = memoryBio(data.data(), data.size());
    if (!bio) {
        return base::makeError(ErrorCode::LimitExceeded, "certificate file too large");
    }
    const std::string_view text = base::asString(data);
    const bool pem = text.find("-----BEGIN PKCS7-----") != std::string_view::npos ||
                     text.find("-----BEGIN CMS-----") != std::string_view::npos;
    if (!pem && text.find("-----BEGIN") != std::string_view::npos) {
        return plain.error(); // PEM, but neither certificates nor PKCS#7: parseAll said why
    }
    base::Bytes der(data.begin(), data.end());
    if (pem) {
        der = pemBlock(bio.get());
    }
    OsslPtr<BIO> derBio = memoryBio(der.data(), der.size());
    OsslPtr<CMS_ContentInfo> cms(derBio ? d2i_CMS_bio(derBio.get(), nullptr) : nullptr);
    if (!cms) {
        clearOpenSslErrors();
        return base::makeError(ErrorCode::MalformedInput, "neither PEM/DER certificates nor a PKCS#7 bundle");
    }
    if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        return base::makeError(ErrorCode::MalformedInput, "a PKCS#7 file, but not a certificate bundle (SignedData)");
    }
    X509StackPtr bundled(CMS_get1_certs(cms.get()));
    std::vector<Certificate> certs;
    for (int i = 0; bundled && i < sk_X509_num(bundled.get()); ++i) {
        certs.push_back(Certificate::share(sk_X509_value(bundled.get(), i)));
    }
    if (certs.empty()) {
        return base::makeError(ErrorCode::MalformedInput, "the PKCS#7 bundle holds no certificates");
    }
    return certs;
}

base::Result<base::Bytes> makeCertificateBundle(std::span<const Certificate> certs) {
    if (certs.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "a certificate bundle needs at least one certificate");
    }
    X509RefStackPtr stack(sk_X509_new_null());
    for (const Certificate& cert : certs) {
        if (!stack || sk_X509_push(stack.get(), cert.native()) <= 0) {
            return openSslError(ErrorCode::CryptoFailure, "cannot collect the bundle's certificates");
        }
    }
    // Without a signer certificate and key CMS_sign makes a certs-only SignedData (CMS_sign()
    // takes its own references to the certificates); CMS_PARTIAL because there is no content.
    OsslPtr<CMS_ContentInfo> cms(CMS_sign(nullptr, nullptr, stack.get(), nullptr, CMS_PARTIAL | CMS_BINARY));
    if (!cms) {
        return openSslError(ErrorCode::CryptoFailure, "cannot make the certs-only SignedData");
    }
    unsigned char* der = nullptr;
    const int len = i2d_CMS_ContentInfo(cms.get(), &der);
    if (len <= 0) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the certs-only SignedData");
    }
    base::Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

} // namespace sealpost::crypto
