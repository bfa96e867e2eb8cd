#include "crypto/Pkcs12.h"

#include "CryptoTestSupport.h"
#include "crypto/OpenSslHandles.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::loadCert;
using test::loadKey;
using test::readFile;

void expectAliceIdentity(const Identity& id) {
    EXPECT_TRUE(id.certificate == loadCert("alice.cert.pem"));
    EXPECT_EQ(EVP_PKEY_eq(id.key.native(), loadKey("alice.key.pem").native()), 1);
    EXPECT_TRUE(checkKeyMatchesCertificate(id.key, id.certificate));
    ASSERT_EQ(id.chain.size(), 1u);
    EXPECT_TRUE(id.chain.front() == loadCert("intermediate-ca.cert.pem"));
}

std::string makePkcs12(const char* password, EVP_PKEY* key, X509* cert, STACK_OF(X509) * ca) {
    OsslPtr<PKCS12> p12(PKCS12_create(password, "test", key, cert, ca, 0, 0, 0, 0, 0));
    EXPECT_NE(p12, nullptr);
    unsigned char* der = nullptr;
    const int len = i2d_PKCS12(p12.get(), &der);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

// ctest runs every test in its own process, so this one opens the file before anything has loaded
// the legacy provider.
TEST(Pkcs12Test, ParsesModernFile) {
    auto id = parsePkcs12(bytes(readFile("alice.p12")), readFile("p12.password.txt"));
    ASSERT_TRUE(id) << id.error().detail;
    expectAliceIdentity(*id);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pkcs12Test, ParsesLegacyRc2And3DesFile) {
    auto id = parsePkcs12(bytes(readFile("alice-legacy.p12")), readFile("p12.password.txt"));
    ASSERT_TRUE(id) << id.error().detail;
    expectAliceIdentity(*id);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pkcs12Test, ModernFileStillParsesAfterLegacyProviderLoaded) {
    ASSERT_TRUE(parsePkcs12(bytes(readFile("alice-legacy.p12")), readFile("p12.password.txt")));
    auto id = parsePkcs12(bytes(readFile("alice.p12")), readFile("p12.password.txt"));
    ASSERT_TRUE(id) << id.error().detail;
    expectAliceIdentity(*id);
}

TEST(Pkcs12Test, WrongPassword) {
    for (const char* file : {"alice.p12", "alice-legacy.p12"}) {
        for (const std::string_view wrong : {"wrong", "", "sealpost-p12-passwor"}) {
            auto id = parsePkcs12(bytes(readFile(file)), wrong);
            ASSERT_FALSE(id) << file << " / " << wrong;
            EXPECT_EQ(id.error().code, ErrorCode::WrongPassword) << file << " / " << wrong;
        }
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pkcs12Test, RejectsGarbageAndTruncatedFiles) {
    const std::string p12 = readFile("alice.p12");
    for (const std::string& input : {std::string(), std::string("garbage"), p12.substr(0, p12.size() / 2),
                                     p12.substr(0, 10), readFile("alice.cert.der")}) {
        auto id = parsePkcs12(bytes(input), "sealpost-p12-password");
        ASSERT_FALSE(id);
        EXPECT_EQ(id.error().code, ErrorCode::MalformedInput) << id.error().detail;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pkcs12Test, FileWithoutKeyIsMalformed) {
    X509StackPtr ca(sk_X509_new_null());
    const Certificate intermediate = loadCert("intermediate-ca.cert.pem");
    ASSERT_EQ(sk_X509_push(ca.get(), X509_dup(intermediate.native())), 1);
    const std::string p12 = makePkcs12("pw", nullptr, nullptr, ca.get());
    auto id = parsePkcs12(bytes(p12), "pw");
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, ErrorCode::MalformedInput);
}

TEST(Pkcs12Test, FileWithoutChainGivesEmptyChain) {
    const PrivateKey key = loadKey("bob.key.pem");
    const Certificate cert = loadCert("bob.cert.pem");
    const std::string p12 = makePkcs12("pw", key.native(), cert.native(), nullptr);
    auto id = parsePkcs12(bytes(p12), "pw");
    ASSERT_TRUE(id) << id.error().detail;
    EXPECT_TRUE(id->certificate == cert);
    EXPECT_EQ(id->key.type(), KeyType::Ec);
    EXPECT_TRUE(id->chain.empty());
}

} // namespace
} // namespace sealpost::crypto
