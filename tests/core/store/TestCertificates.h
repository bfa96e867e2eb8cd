#pragma once
// Test certificates made on the fly for the store tests (shared by CorrespondentStoreTest and
// SelectionTest).

#include "StoreTestSupport.h"
#include "crypto/Certificate.h"
#include "crypto/PrivateKey.h"

#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::store::test {

// Certificates made on the fly, for what the fixture PKI does not have: several certificates for
// one address, a second key, chosen validity periods and key usages. Self-signed with a chosen
// issuer name; nothing here verifies chains.
struct KeyDeleter {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using TestKey = std::shared_ptr<EVP_PKEY>;

inline TestKey makeKey(bool rsa) {
    return TestKey(rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"), KeyDeleter{});
}

struct CertSpec {
    std::string address;
    TestKey key;
    base::TimePoint notBefore;
    base::TimePoint notAfter;
    std::string keyUsage; // "" = no keyUsage extension
    std::string eku;      // "" = no extendedKeyUsage extension
    std::string issuerCn = "Generated Test CA";
    // When set, the certificate is issued (and signed) by this CA instead of being self-signed
    // under issuerCn, so it chains to the fixture PKI.
    const crypto::PrivateKey* caKey = nullptr;
    std::optional<crypto::Certificate> caCert = std::nullopt;
};

inline void addExtension(X509* x509, int nid, const std::string& value) {
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, x509, x509, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, void (*)(X509_EXTENSION*)> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), X509_EXTENSION_free);
    ASSERT_NE(ext, nullptr);
    ASSERT_EQ(X509_add_ext(x509, ext.get(), -1), 1);
}

inline void setName(X509_NAME* name, const std::string& cn) {
    ASSERT_EQ(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                         -1, -1, 0),
              1);
}

inline crypto::Certificate makeCert(const CertSpec& spec) {
    static long serial = 1000;
    X509* x509 = X509_new();
    EXPECT_NE(x509, nullptr);
    auto cert = crypto::Certificate::adopt(x509); // owns x509 from here on
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), ++serial);
    ASN1_TIME_set(X509_getm_notBefore(x509), std::chrono::system_clock::to_time_t(spec.notBefore));
    ASN1_TIME_set(X509_getm_notAfter(x509), std::chrono::system_clock::to_time_t(spec.notAfter));
    setName(X509_get_subject_name(x509), spec.address);
    if (spec.caCert) {
        X509_set_issuer_name(x509, X509_get_subject_name(spec.caCert->native()));
    } else {
        setName(X509_get_issuer_name(x509), spec.issuerCn);
    }
    X509_set_pubkey(x509, spec.key.get());
    addExtension(x509, NID_subject_alt_name, "email:" + spec.address);
    if (!spec.keyUsage.empty()) {
        addExtension(x509, NID_key_usage, spec.keyUsage);
    }
    if (!spec.eku.empty()) {
        addExtension(x509, NID_ext_key_usage, spec.eku);
    }
    EVP_PKEY* signingKey = spec.caKey != nullptr ? spec.caKey->native() : spec.key.get();
    EXPECT_GT(X509_sign(x509, signingKey, EVP_sha256()), 0);
    return cert;
}

} // namespace sealpost::store::test
