#pragma once
// Certificates made on the fly for the directory's unit tests: one test CA (and an intermediate
// under it), and a leaf per case with exactly the property the case is about.

#include "crypto/Certificate.h"

#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <vector>

namespace sealpost::keydir::test {

using Key = std::shared_ptr<EVP_PKEY>;

inline Key ecKey() {
    return Key(EVP_EC_gen("P-256"), EVP_PKEY_free);
}
inline Key rsaKey() {
    return Key(EVP_RSA_gen(2048), EVP_PKEY_free);
}
inline Key ed25519Key() {
    EVP_PKEY* key = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1) {
        EVP_PKEY_keygen(ctx, &key);
    }
    EVP_PKEY_CTX_free(ctx);
    return Key(key, EVP_PKEY_free);
}

// 2026-06-01T00:00:00Z, the tests' "now".
inline base::TimePoint testNow() {
    return std::chrono::system_clock::from_time_t(1780272000);
}
inline base::TimePoint daysFromNow(int days) {
    return testNow() + std::chrono::hours(24 * days);
}

struct Issuer {
    Key key;
    crypto::Certificate cert;
};

struct LeafSpec {
    std::string subjectCn = "Test User";
    std::vector<std::string> emails{"alice@example.org"}; // as rfc822Name subjectAltNames
    std::string subjectEmail;                             // subject emailAddress, when set
    Key key;                                              // default: a fresh EC key
    base::TimePoint notBefore = daysFromNow(-30);
    base::TimePoint notAfter = daysFromNow(60);
    std::string keyUsage = "critical,digitalSignature,keyAgreement"; // "" = none
    std::string eku = "emailProtection";                             // "" = none
    bool ca = false;
    std::size_t padding = 0; // bytes of an extra (non-critical) extension, to make it large
};

inline void addExt(X509* x509, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer, x509, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(x509, ext, -1);
    X509_EXTENSION_free(ext);
}

inline crypto::Certificate makeCertificate(const LeafSpec& spec, const Issuer* issuer, const Key& key) {
    static long serial = 1;
    X509* x509 = X509_new();
    auto cert = crypto::Certificate::adopt(x509);
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), ++serial);
    ASN1_TIME_set(X509_getm_notBefore(x509), std::chrono::system_clock::to_time_t(spec.notBefore));
    ASN1_TIME_set(X509_getm_notAfter(x509), std::chrono::system_clock::to_time_t(spec.notAfter));
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.subjectCn.c_str()), -1, -1, 0);
    if (!spec.subjectEmail.empty()) {
        X509_NAME_add_entry_by_txt(name, "emailAddress", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(spec.subjectEmail.c_str()), -1, -1, 0);
    }
    X509_set_issuer_name(x509, issuer != nullptr ? X509_get_subject_name(issuer->cert.native()) : name);
    X509_set_pubkey(x509, key.get());
    X509* issuerCert = issuer != nullptr ? issuer->cert.native() : x509;
    addExt(x509, issuerCert, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) {
        addExt(x509, issuerCert, NID_authority_key_identifier, "keyid");
    }
    addExt(x509, issuerCert, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    std::string san;
    for (const std::string& email : spec.emails) {
        san += (san.empty() ? "email:" : ",email:") + email;
    }
    if (!san.empty()) {
        addExt(x509, issuerCert, NID_subject_alt_name, san);
    }
    if (!spec.keyUsage.empty()) {
        addExt(x509, issuerCert, NID_key_usage, spec.keyUsage);
    }
    if (!spec.eku.empty()) {
        addExt(x509, issuerCert, NID_ext_key_usage, spec.eku);
    }
    if (spec.padding > 0) {
        addExt(x509, issuerCert, NID_netscape_comment, std::string(spec.padding, 'x'));
    }
    EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : key.get();
    EXPECT_GT(X509_sign(x509, signer, EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256()), 0);
    return cert;
}

// A root CA and an intermediate under it, valid for years around testNow().
struct TestPki {
    TestPki()
        : root(makeCa("Keydir Test Root CA", nullptr)), intermediate(makeCa("Keydir Test Intermediate CA", &root)) {}

    static Issuer makeCa(const std::string& cn, const Issuer* parent) {
        LeafSpec spec;
        spec.subjectCn = cn;
        spec.emails.clear();
        spec.ca = true;
        spec.keyUsage = "critical,keyCertSign,cRLSign";
        spec.eku.clear();
        spec.notBefore = daysFromNow(-3650);
        spec.notAfter = daysFromNow(3650);
        Key key = ecKey();
        return Issuer{key, makeCertificate(spec, parent, key)};
    }

    // A leaf issued by the intermediate.
    crypto::Certificate leaf(const LeafSpec& spec = {}) const {
        return makeCertificate(spec, &intermediate, spec.key ? spec.key : ecKey());
    }

    Issuer root;
    Issuer intermediate;
};

inline std::string pemOf(std::initializer_list<crypto::Certificate> certs) {
    std::string out;
    for (const crypto::Certificate& c : certs) {
        out += c.pem();
    }
    return out;
}

} // namespace sealpost::keydir::test
