#include "crypto/CertificateChecks.h"

#include <cstdint>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sealpost::crypto {
namespace {

// X509_get_extension_flags() parses and caches the extensions; EXFLAG_INVALID means one of them
// (keyUsage, EKU, ...) did not decode, and such a certificate answers nothing reliably.
bool hasValidExtensions(X509* x509) {
    return (X509_get_extension_flags(x509) & EXFLAG_INVALID) == 0U;
}

} // namespace

bool isValidAt(const Certificate& cert, base::TimePoint at) {
    return cert.notBefore() <= at && at < cert.notAfter();
}

bool allowsEmailProtection(const Certificate& cert) {
    X509* x509 = cert.native();
    if (x509 == nullptr || !hasValidExtensions(x509)) {
        return false;
    }
    if ((X509_get_extension_flags(x509) & EXFLAG_XKUSAGE) == 0U) {
        return true;
    }
    return (X509_get_extended_key_usage(x509) & XKU_SMIME) != 0U;
}

bool allowsEncryption(const Certificate& cert) {
    X509* x509 = cert.native();
    if (x509 == nullptr || !hasValidExtensions(x509)) {
        return false;
    }
    EVP_PKEY* key = X509_get0_pubkey(x509); // borrowed
    if (key == nullptr) {
        return false;
    }
    std::uint32_t needed = 0;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: needed = KU_KEY_ENCIPHERMENT; break;
    case EVP_PKEY_EC: needed = KU_KEY_AGREEMENT; break;
    default: return false;
    }
    if ((X509_get_extension_flags(x509) & EXFLAG_KUSAGE) == 0U) {
        return true; // no keyUsage extension: every usage is allowed
    }
    return (X509_get_key_usage(x509) & needed) != 0U;
}

bool hasSamePublicKey(const Certificate& a, const Certificate& b) {
    if (a.native() == nullptr || b.native() == nullptr) {
        return false;
    }
    const EVP_PKEY* keyA = X509_get0_pubkey(a.native()); // borrowed
    const EVP_PKEY* keyB = X509_get0_pubkey(b.native()); // borrowed
    return keyA != nullptr && keyB != nullptr && EVP_PKEY_eq(keyA, keyB) == 1;
}

} // namespace sealpost::crypto
