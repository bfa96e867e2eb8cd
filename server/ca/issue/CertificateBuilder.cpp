#include "ca/issue/CertificateBuilder.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace sealpost::ca {

namespace {

using base::ErrorCode;
using crypto::openSslError;
using crypto::OsslPtr;

constexpr std::size_t kSerialBytes = 16;
constexpr int kMaxCommonName = 64; // ub-common-name (RFC 5280)

base::Result<OsslPtr<ASN1_INTEGER>> randomSerial() {
    std::array<unsigned char, kSerialBytes> bytes{};
    do {
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
            return openSslError(ErrorCode::CryptoFailure, "no random serial number");
        }
        bytes[0] &= 0x7FU; // positive without a leading zero octet: at most 16 content bytes
    } while (std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b == 0; }));
    OsslPtr<BIGNUM> bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    OsslPtr<ASN1_INTEGER> serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    if (!serial) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the serial number");
    }
    return serial;
}

bool setTime(ASN1_TIME* field, base::TimePoint t) {
    // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime from then on (RFC 5280 4.1.2.5).
    return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) != nullptr;
}

bool addNameEntry(X509_NAME* name, int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
}

std::string keyUsageText(KeyUsage usage) {
    std::string text = "critical";
    const std::array<std::pair<KeyUsage, const char*>, 5> names{{
        {KeyUsage::DigitalSignature, "digitalSignature"},
        {KeyUsage::KeyEncipherment, "keyEncipherment"},
        {KeyUsage::KeyAgreement, "keyAgreement"},
        {KeyUsage::KeyCertSign, "keyCertSign"},
        {KeyUsage::CrlSign, "cRLSign"},
    }};
    for (const auto& [bit, name] : names) {
        if (has(usage, bit)) {
            text += ",";
            text += name;
        }
    }
    return text;
}

std::string basicConstraintsText(const CertificateProfile& profile) {
    if (!profile.isCa) {
        return "critical,CA:FALSE";
    }
    std::string text = "critical,CA:TRUE";
    if (profile.pathLength) {
        text += ",pathlen:" + std::to_string(*profile.pathLength);
    }
    return text;
}

// Adds an extension from OpenSSL's configuration syntax (only for values we compose ourselves).
bool addConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    OsslPtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// The subjectAltName built as a structure, so that no address is ever parsed as configuration.
bool addEmailNames(X509* cert, const std::vector<std::string>& emails, bool critical) {
    std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> names(GENERAL_NAMES_new(), GENERAL_NAMES_free);
    if (!names) {
        return false;
    }
    for (const std::string& email : emails) {
        OsslPtr<ASN1_STRING> ia5(ASN1_IA5STRING_new());
        if (!ia5 || ASN1_STRING_set(ia5.get(), email.data(), static_cast<int>(email.size())) != 1) {
            return false;
        }
        GENERAL_NAME* name = GENERAL_NAME_new();
        if (name == nullptr) {
            return false;
        }
        GENERAL_NAME_set0_value(name, GEN_EMAIL, ia5.release());
        if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
            GENERAL_NAME_free(name);
            return false;
        }
    }
    return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1;
}

const EVP_MD* digestFor(const crypto::PrivateKey& key) {
    if (key.type() == crypto::KeyType::Ec && key.bits() == 384) {
        return EVP_sha384();
    }
    return EVP_sha256();
}

base::Result<void> checkProfile(const CertificateProfile& profile) {
    if (profile.notAfter <= profile.notBefore) {
        return base::Error{ErrorCode::InvalidArgument, "certificate: notAfter is not after notBefore"};
    }
    if (profile.commonName.size() > static_cast<std::size_t>(kMaxCommonName)) {
        return base::Error{ErrorCode::InvalidArgument, "certificate: common name longer than 64 characters"};
    }
    if (profile.commonName.empty() && profile.emails.empty()) {
        return base::Error{ErrorCode::InvalidArgument, "certificate: neither a subject nor a subjectAltName"};
    }
    if (profile.pathLength && (!profile.isCa || *profile.pathLength < 0)) {
        return base::Error{ErrorCode::InvalidArgument, "certificate: a path length on a non-CA certificate"};
    }
    return {};
}

base::Result<void> setNames(X509* cert, const CertificateProfile& profile, const CertificateSigner& signer) {
    X509_NAME* subject = X509_get_subject_name(cert);
    if ((!profile.organization.empty() && !addNameEntry(subject, NID_organizationName, profile.organization)) ||
        (!profile.commonName.empty() && !addNameEntry(subject, NID_commonName, profile.commonName))) {
        return openSslError(ErrorCode::CryptoFailure, "certificate: cannot set the subject");
    }
    const X509_NAME* issuer =
        signer.certificate != nullptr ? X509_get_subject_name(signer.certificate->native()) : subject;
    if (X509_set_issuer_name(cert, issuer) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "certificate: cannot set the issuer");
    }
    return {};
}

base::Result<void> addExtensions(X509* cert, const CertificateProfile& profile, const CertificateSigner& signer) {
    X509V3_CTX ctx{};
    X509* issuer = signer.certificate != nullptr ? signer.certificate->native() : cert;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    bool ok = addConfExtension(cert, &ctx, NID_basic_constraints, basicConstraintsText(profile)) &&
              addConfExtension(cert, &ctx, NID_key_usage, keyUsageText(profile.keyUsage)) &&
              addConfExtension(cert, &ctx, NID_subject_key_identifier, "hash");
    if (ok && signer.certificate != nullptr) {
        ok = addConfExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
    }
    if (ok && profile.emailProtection) {
        ok = addConfExtension(cert, &ctx, NID_ext_key_usage, "emailProtection");
    }
    if (ok && !profile.emails.empty()) {
        ok = addEmailNames(cert, profile.emails, profile.commonName.empty());
    }
    if (!ok) {
        return openSslError(ErrorCode::CryptoFailure, "certificate: cannot add the extensions");
    }
    return {};
}

} // namespace

base::Result<crypto::Certificate> buildCertificate(const crypto::PublicKey& subjectKey,
                                                   const CertificateProfile& profile, const CertificateSigner& signer) {
    if (auto checked = checkProfile(profile); !checked) {
        return checked.error();
    }
    auto serial = randomSerial();
    if (!serial) {
        return serial.error();
    }
    OsslPtr<X509> cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
        X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
        !setTime(X509_getm_notBefore(cert.get()), profile.notBefore) ||
        !setTime(X509_getm_notAfter(cert.get()), profile.notAfter) ||
        X509_set_pubkey(cert.get(), subjectKey.native()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "certificate: cannot fill in the fields");
    }
    if (auto named = setNames(cert.get(), profile, signer); !named) {
        return named.error();
    }
    if (auto extended = addExtensions(cert.get(), profile, signer); !extended) {
        return extended.error();
    }
    if (X509_sign(cert.get(), signer.key.native(), digestFor(signer.key)) <= 0) {
        return openSslError(ErrorCode::CryptoFailure, "certificate: cannot sign");
    }
    return crypto::Certificate::adopt(cert.release());
}

} // namespace sealpost::ca
