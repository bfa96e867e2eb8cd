#include "crypto/AriCertId.h"

#include "CryptoTestSupport.h"
#include "crypto/Jose.h"
#include "crypto/KeyGen.h"
#include "crypto/OpenSslHandles.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

namespace sealpost::crypto {
namespace {

// A certificate with the given serial and (optionally) authority key identifier.
Certificate makeCert(const base::Bytes& serialMagnitude, const std::optional<base::Bytes>& keyId) {
    auto key = generateKey(KeySpec::P256);
    if (!key) {
        throw std::runtime_error("key generation failed");
    }
    OsslPtr<X509> cert(X509_new());
    OsslPtr<BIGNUM> bn(BN_bin2bn(serialMagnitude.data(), static_cast<int>(serialMagnitude.size()), nullptr));
    BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
    X509_set_version(cert.get(), 2);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("ari"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key->native());
    if (keyId) {
        AUTHORITY_KEYID* aki = AUTHORITY_KEYID_new();
        aki->keyid = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(aki->keyid, keyId->data(), static_cast<int>(keyId->size()));
        X509_add1_ext_i2d(cert.get(), NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT);
        AUTHORITY_KEYID_free(aki);
    }
    X509_sign(cert.get(), key->native(), EVP_sha256());
    return Certificate::adopt(cert.release());
}

// RFC 9773 section 4.1's example: keyIdentifier 69:88:5B:...:C8:D4 and serial 0x87654321, whose
// DER content needs a leading zero octet.
TEST(AriCertIdTest, Rfc9773Example) {
    const base::Bytes keyId{0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3,
                            0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
    const Certificate cert = makeCert({0x87, 0x65, 0x43, 0x21}, keyId);
    auto id = ariCertId(cert);
    ASSERT_TRUE(id) << id.error().detail;
    EXPECT_EQ(*id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
}

TEST(AriCertIdTest, SerialWithoutTheTopBitHasNoLeadingZero) {
    const Certificate cert = makeCert({0x12, 0x34}, base::Bytes{0x01, 0x02, 0x03});
    auto id = ariCertId(cert);
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, "AQID.EjQ");
}

TEST(AriCertIdTest, LongestSerialKeepsEveryOctet) {
    // RFC 5280's longest serial, 20 octets, with the top bit set: 21 content octets.
    base::Bytes serial(20, 0xAB);
    const Certificate cert = makeCert(serial, base::Bytes{0x07});
    auto id = ariCertId(cert);
    ASSERT_TRUE(id);
    base::Bytes content(serial.size() + 1, 0x00);
    std::copy(serial.begin(), serial.end(), content.begin() + 1);
    EXPECT_EQ(id->substr(id->find('.') + 1), base64UrlEncode(content));
}

TEST(AriCertIdTest, WithoutAuthorityKeyIdentifierIsAnError) {
    const Certificate cert = makeCert({0x01}, std::nullopt);
    auto id = ariCertId(cert);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, base::ErrorCode::InvalidArgument);
}

TEST(AriCertIdTest, FixtureCertificatesHaveOne) {
    const Certificate alice = test::loadCert("alice.cert.pem");
    auto id = ariCertId(alice);
    ASSERT_TRUE(id) << id.error().detail;
    EXPECT_NE(id->find('.'), std::string::npos);
}

} // namespace
} // namespace sealpost::crypto
