#include "crypto/CmsTypes.h"

#include <gtest/gtest.h>

namespace sealpost::crypto {
namespace {

TEST(CmsTypesTest, CipherNamesRoundTrip) {
    for (ContentCipher c :
         {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
        EXPECT_EQ(cipherFromName(cipherName(c)), c);
    }
    EXPECT_EQ(cipherName(ContentCipher::Aes256Gcm), "aes-256-gcm");
    EXPECT_EQ(cipherName(ContentCipher::Aes128Cbc), "aes-128-cbc");
    EXPECT_FALSE(cipherFromName("des-ede3-cbc"));
    EXPECT_FALSE(cipherFromName(""));
    EXPECT_FALSE(cipherFromName("AES-256-GCM"));
}

TEST(CmsTypesTest, OnlyGcmIsAuthenticated) {
    EXPECT_TRUE(isAuthenticated(ContentCipher::Aes256Gcm));
    EXPECT_TRUE(isAuthenticated(ContentCipher::Aes128Gcm));
    EXPECT_FALSE(isAuthenticated(ContentCipher::Aes256Cbc));
    EXPECT_FALSE(isAuthenticated(ContentCipher::Aes128Cbc));
}

TEST(CmsTypesTest, MicalgNames) {
    EXPECT_EQ(micalgName(DigestAlgorithm::Sha256), "sha-256");
    EXPECT_EQ(micalgName(DigestAlgorithm::Sha384), "sha-384");
    EXPECT_EQ(micalgName(DigestAlgorithm::Sha512), "sha-512");
    for (DigestAlgorithm d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512}) {
        EXPECT_EQ(digestFromName(micalgName(d)), d);
    }
    EXPECT_EQ(digestFromName("sha256"), DigestAlgorithm::Sha256);
    EXPECT_EQ(digestFromName("sha512"), DigestAlgorithm::Sha512);
    EXPECT_FALSE(digestFromName("sha1"));
    EXPECT_FALSE(digestFromName("md5"));
    EXPECT_FALSE(digestFromName(""));
}

} // namespace
} // namespace sealpost::crypto
