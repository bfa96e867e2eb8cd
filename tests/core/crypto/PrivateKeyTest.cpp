#include "crypto/PrivateKey.h"

#include "CryptoTestSupport.h"
#include "crypto/Identity.h"
#include "crypto/OpenSslHandles.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::loadCert;
using test::loadKey;
using test::readFile;

std::string pemOf(const PrivateKey& key, bool traditional) {
    OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    const int ok =
        traditional
            ? PEM_write_bio_PrivateKey_traditional(bio.get(), key.native(), nullptr, nullptr, 0, nullptr, nullptr)
            : PEM_write_bio_PrivateKey(bio.get(), key.native(), nullptr, nullptr, 0, nullptr, nullptr);
    EXPECT_EQ(ok, 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

bool sameKey(const PrivateKey& a, const PrivateKey& b) {
    return EVP_PKEY_eq(a.native(), b.native()) == 1;
}

TEST(PrivateKeyTest, ParsesRsaPkcs8Pem) {
    auto key = PrivateKey::parse(bytes(readFile("alice.key.pem")));
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(key->type(), KeyType::Rsa);
    EXPECT_EQ(key->bits(), 2048);
    EXPECT_TRUE(checkKeyMatchesCertificate(*key, loadCert("alice.cert.pem")));
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, ParsesEcPkcs8Pem) {
    auto key = PrivateKey::parse(bytes(readFile("bob.key.pem")));
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(key->type(), KeyType::Ec);
    EXPECT_EQ(key->bits(), 256);
    EXPECT_TRUE(checkKeyMatchesCertificate(*key, loadCert("bob.cert.pem")));
}

TEST(PrivateKeyTest, ParsesPkcs8Der) {
    auto key = PrivateKey::parse(bytes(readFile("alice.key.der")));
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_TRUE(sameKey(*key, loadKey("alice.key.pem")));
}

TEST(PrivateKeyTest, ParsesTraditionalPem) {
    for (const char* name : {"alice.key.pem", "bob.key.pem"}) {
        const std::string traditional = pemOf(loadKey(name), true);
        ASSERT_EQ(traditional.find("BEGIN PRIVATE KEY"), std::string::npos) << traditional.substr(0, 40);
        auto key = PrivateKey::parse(bytes(traditional));
        ASSERT_TRUE(key) << name << ": " << key.error().detail;
        EXPECT_TRUE(sameKey(*key, loadKey(name)));
    }
}

TEST(PrivateKeyTest, ParsesEncryptedPkcs8WithPassword) {
    const std::string password = readFile("alice.password.txt");
    auto key = PrivateKey::parse(bytes(readFile("alice.key.enc.pem")), password);
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_TRUE(sameKey(*key, loadKey("alice.key.pem")));
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, EncryptedKeyWithoutPasswordIsWrongPassword) {
    auto key = PrivateKey::parse(bytes(readFile("alice.key.enc.pem")));
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, ErrorCode::WrongPassword);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, EncryptedKeyWithWrongPasswordIsWrongPassword) {
    for (const std::string_view wrong : {"wrong", "", "alice-key-passwor", "alice-key-password "}) {
        auto key = PrivateKey::parse(bytes(readFile("alice.key.enc.pem")), wrong);
        ASSERT_FALSE(key) << wrong;
        EXPECT_EQ(key.error().code, ErrorCode::WrongPassword) << wrong;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, UnencryptedKeyIgnoresPassword) {
    auto key = PrivateKey::parse(bytes(readFile("alice.key.pem")), std::string_view("unused"));
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_TRUE(sameKey(*key, loadKey("alice.key.pem")));
}

TEST(PrivateKeyTest, RejectsGarbageAndCertificates) {
    for (const std::string& input :
         {std::string(), std::string("garbage"), readFile("alice.cert.pem"), readFile("alice.cert.der")}) {
        auto key = PrivateKey::parse(bytes(input));
        ASSERT_FALSE(key);
        EXPECT_EQ(key.error().code, ErrorCode::MalformedInput);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, RejectsTruncatedKey) {
    const std::string der = readFile("alice.key.der");
    auto key = PrivateKey::parse(bytes(der.substr(0, der.size() / 2)));
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, ErrorCode::MalformedInput);
}

TEST(PrivateKeyTest, KeyCertificateMismatchIsInvalidArgument) {
    auto r = checkKeyMatchesCertificate(loadKey("alice.key.pem"), loadCert("carol.cert.pem"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    auto ec = checkKeyMatchesCertificate(loadKey("bob.key.pem"), loadCert("alice.cert.pem"));
    ASSERT_FALSE(ec);
    EXPECT_EQ(ec.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(PrivateKeyTest, ShareKeepsKeyAlive) {
    std::optional<PrivateKey> shared;
    {
        const PrivateKey key = loadKey("bob.key.pem");
        shared = PrivateKey::share(key.native());
    }
    EXPECT_EQ(shared->type(), KeyType::Ec);
    EXPECT_TRUE(checkKeyMatchesCertificate(*shared, loadCert("bob.cert.pem")));
}

} // namespace
} // namespace sealpost::crypto
