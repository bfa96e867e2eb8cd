#include "crypto/Certificate.h"

#include "CryptoTestSupport.h"
#include "crypto/OpenSslHandles.h"

#include <algorithm>
#include <cctype>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <optional>

namespace sealpost::crypto {
namespace {

using test::bytes;
using test::loadCert;
using test::readFile;
using test::utc;

TEST(CertificateTest, ParsesSinglePem) {
    const std::string pem = readFile("alice.cert.pem");
    auto certs = Certificate::parseAll(bytes(pem));
    ASSERT_TRUE(certs) << certs.error().detail;
    ASSERT_EQ(certs->size(), 1u);
    EXPECT_NE(certs->front().native(), nullptr);
    EXPECT_EQ(ERR_peek_error(), 0u) << "parsing must leave the OpenSSL error queue empty";
}

TEST(CertificateTest, ParsesDerAndMatchesPem) {
    const std::string der = readFile("alice.cert.der");
    auto fromDer = Certificate::parseAll(bytes(der));
    ASSERT_TRUE(fromDer) << fromDer.error().detail;
    ASSERT_EQ(fromDer->size(), 1u);
    EXPECT_TRUE(fromDer->front() == loadCert("alice.cert.pem"));
    EXPECT_EQ(fromDer->front().der(), base::Bytes(der.begin(), der.end()));
}

TEST(CertificateTest, ParsesEveryPemBlockInOrder) {
    const std::string bundle = readFile("alice.cert.pem") + readFile("chain.pem") + readFile("root-ca.cert.pem");
    auto certs = Certificate::parseAll(bytes(bundle));
    ASSERT_TRUE(certs) << certs.error().detail;
    ASSERT_EQ(certs->size(), 3u);
    EXPECT_TRUE((*certs)[0] == loadCert("alice.cert.pem"));
    EXPECT_TRUE((*certs)[1] == loadCert("intermediate-ca.cert.pem"));
    EXPECT_TRUE((*certs)[2] == loadCert("root-ca.cert.pem"));
}

TEST(CertificateTest, SkipsNonCertificatePemBlocks) {
    const std::string mixed = readFile("alice.key.pem") + readFile("alice.cert.pem");
    auto certs = Certificate::parseAll(bytes(mixed));
    ASSERT_TRUE(certs) << certs.error().detail;
    ASSERT_EQ(certs->size(), 1u);
    EXPECT_TRUE(certs->front() == loadCert("alice.cert.pem"));
}

TEST(CertificateTest, RejectsPemWithoutCertificate) {
    const std::string key = readFile("alice.key.pem");
    auto certs = Certificate::parseAll(bytes(key));
    ASSERT_FALSE(certs);
    EXPECT_EQ(certs.error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateTest, RejectsBrokenPemBlock) {
    std::string pem = readFile("alice.cert.pem");
    const auto mid = pem.find('\n', pem.size() / 2);
    pem.erase(mid, 20); // cut the base64 in the middle
    auto certs = Certificate::parseAll(bytes(pem));
    ASSERT_FALSE(certs);
    EXPECT_EQ(certs.error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateTest, RejectsGarbageAndEmptyInput) {
    for (const std::string& input : {std::string(), std::string("garbage"), std::string("\x30\x82\xff\xff", 4)}) {
        auto certs = Certificate::parseAll(bytes(input));
        ASSERT_FALSE(certs) << input;
        EXPECT_EQ(certs.error().code, base::ErrorCode::MalformedInput);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateTest, RejectsPkcs7CertsOnly) {
    auto certs = Certificate::parseAll(bytes(readFile("certs-only.p7c")));
    ASSERT_FALSE(certs);
    EXPECT_EQ(certs.error().code, base::ErrorCode::MalformedInput);
}

TEST(CertificateTest, NamesAndSerial) {
    const Certificate alice = loadCert("alice.cert.pem");
    const Certificate intermediate = loadCert("intermediate-ca.cert.pem");
    EXPECT_NE(alice.subject().find("CN=Alice Test"), std::string::npos) << alice.subject();
    EXPECT_NE(alice.subject().find("O=Sealpost Test"), std::string::npos) << alice.subject();
    EXPECT_EQ(alice.issuer(), intermediate.subject());
    EXPECT_NE(intermediate.subject().find("CN=Sealpost Test Intermediate CA"), std::string::npos);

    const std::string serial = alice.serialHex();
    ASSERT_FALSE(serial.empty());
    EXPECT_TRUE(std::all_of(serial.begin(), serial.end(), [](char c) { return std::isxdigit(c) != 0; })) << serial;
    OsslPtr<BIGNUM> expected(ASN1_INTEGER_to_BN(X509_get0_serialNumber(alice.native()), nullptr));
    BIGNUM* parsed = nullptr;
    ASSERT_GT(BN_hex2bn(&parsed, serial.c_str()), 0);
    OsslPtr<BIGNUM> parsedOwner(parsed);
    EXPECT_EQ(BN_cmp(expected.get(), parsed), 0);
}

TEST(CertificateTest, EmailAddressesAreDeduplicatedAndCaseInsensitive) {
    const Certificate alice = loadCert("alice.cert.pem");
    // subjectAltName and subject emailAddress name the same address: listed once.
    EXPECT_EQ(alice.emailAddresses(), std::vector<std::string>{"alice@example.org"});
    EXPECT_TRUE(alice.hasEmailAddress("alice@example.org"));
    EXPECT_TRUE(alice.hasEmailAddress("alice@EXAMPLE.org"));
    EXPECT_TRUE(alice.hasEmailAddress("Alice@Example.Org"));
    EXPECT_FALSE(alice.hasEmailAddress("bob@example.org"));
    EXPECT_FALSE(alice.hasEmailAddress("alice@example.org.evil"));
    EXPECT_FALSE(alice.hasEmailAddress(""));
    EXPECT_TRUE(loadCert("root-ca.cert.pem").emailAddresses().empty());
    EXPECT_EQ(loadCert("bob.cert.pem").emailAddresses(), std::vector<std::string>{"bob@example.org"});
}

TEST(CertificateTest, Validity) {
    const Certificate alice = loadCert("alice.cert.pem");
    EXPECT_EQ(alice.notBefore(), utc(2025, 1, 1));
    EXPECT_EQ(alice.notAfter(), utc(2035, 1, 1));
    const Certificate eve = loadCert("eve-expired.cert.pem");
    EXPECT_EQ(eve.notBefore(), utc(2020, 1, 1));
    EXPECT_EQ(eve.notAfter(), utc(2021, 1, 1));
}

TEST(CertificateTest, SelfIssued) {
    EXPECT_TRUE(loadCert("root-ca.cert.pem").isSelfIssued());
    EXPECT_TRUE(loadCert("other-root-ca.cert.pem").isSelfIssued());
    EXPECT_FALSE(loadCert("intermediate-ca.cert.pem").isSelfIssued());
    EXPECT_FALSE(loadCert("alice.cert.pem").isSelfIssued());
}

TEST(CertificateTest, DerAndPemRoundTrip) {
    const Certificate alice = loadCert("alice.cert.pem");
    const base::Bytes der = alice.der();
    auto fromDer = Certificate::parseAll(der);
    ASSERT_TRUE(fromDer);
    EXPECT_TRUE(fromDer->front() == alice);

    const std::string pem = alice.pem();
    EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
    auto fromPem = Certificate::parseAll(bytes(pem));
    ASSERT_TRUE(fromPem);
    EXPECT_TRUE(fromPem->front() == alice);
}

TEST(CertificateTest, Sha256FingerprintIsLowerHexOfDer) {
    const Certificate alice = loadCert("alice.cert.pem");
    const base::Bytes der = alice.der();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr), 1);
    std::string expected;
    for (unsigned int i = 0; i < len; ++i) {
        static constexpr char hex[] = "0123456789abcdef";
        expected += hex[md[i] >> 4];
        expected += hex[md[i] & 0xF];
    }
    EXPECT_EQ(alice.sha256Fingerprint(), expected);
    EXPECT_EQ(expected.size(), 64u);
    EXPECT_NE(alice.sha256Fingerprint(), loadCert("carol.cert.pem").sha256Fingerprint());
}

TEST(CertificateTest, EqualityAndSharing) {
    const Certificate alice = loadCert("alice.cert.pem");
    const Certificate again = loadCert("alice.cert.pem");
    const Certificate carol = loadCert("carol.cert.pem");
    EXPECT_TRUE(alice == again);
    EXPECT_FALSE(alice == carol);

    const Certificate shared = Certificate::share(alice.native());
    EXPECT_EQ(shared.native(), alice.native());
    X509* dup = X509_dup(alice.native());
    const Certificate adopted = Certificate::adopt(dup);
    EXPECT_TRUE(adopted == alice);
    const Certificate copy = shared; // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_TRUE(copy == alice);
}

TEST(CertificateTest, SharedCertificateOutlivesOriginal) {
    std::optional<Certificate> shared;
    {
        const Certificate alice = loadCert("alice.cert.pem");
        shared = Certificate::share(alice.native());
    }
    // `alice` released its reference; `shared` holds its own.
    EXPECT_TRUE(shared->hasEmailAddress("alice@example.org"));
}

TEST(CertificateTest, BundleReadsPkcs7CertsOnlyDerAndPem) {
    const std::string der = readFile("certs-only.p7c");
    // Other tools label the PEM form "PKCS7", OpenSSL's CMS writer "CMS".
    auto pemOf = [&](const char* label) {
        OsslPtr<BIO> out(BIO_new(BIO_s_mem()));
        EXPECT_GT(PEM_write_bio(out.get(), label, "", reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<long>(der.size())),
                  0);
        char* data = nullptr;
        const long len = BIO_get_mem_data(out.get(), &data);
        return "a bundle from a directory\n" + std::string(data, static_cast<std::size_t>(len));
    };
    for (const std::string& input : {der, pemOf("PKCS7"), pemOf("CMS")}) {
        auto certs = parseCertificateBundle(bytes(input));
        ASSERT_TRUE(certs) << certs.error().detail;
        ASSERT_EQ(certs->size(), 2u);
        EXPECT_TRUE((*certs)[0] == loadCert("alice.cert.pem") || (*certs)[1] == loadCert("alice.cert.pem"));
        EXPECT_TRUE((*certs)[0] == loadCert("intermediate-ca.cert.pem") ||
                    (*certs)[1] == loadCert("intermediate-ca.cert.pem"));
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateTest, BundleReadsPlainCertificatesAndRejectsTheRest) {
    auto pem = parseCertificateBundle(bytes(readFile("alice.cert.pem") + readFile("chain.pem")));
    ASSERT_TRUE(pem) << pem.error().detail;
    EXPECT_EQ(pem->size(), 2u);
    auto der = parseCertificateBundle(bytes(readFile("alice.cert.der")));
    ASSERT_TRUE(der) << der.error().detail;
    EXPECT_EQ(der->size(), 1u);
    for (const std::string& input : {std::string(), std::string("garbage"), readFile("alice.key.pem"),
                                     readFile("alice.p12"), readFile("signed-opaque.eml")}) {
        auto certs = parseCertificateBundle(bytes(input));
        ASSERT_FALSE(certs);
        EXPECT_EQ(certs.error().code, base::ErrorCode::MalformedInput) << certs.error().detail;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateTest, MakesCertsOnlyBundlesThatReadBack) {
    const std::vector<Certificate> certs{loadCert("alice.cert.pem"), loadCert("intermediate-ca.cert.pem")};
    auto der = makeCertificateBundle(certs);
    ASSERT_TRUE(der) << der.error().detail;
    // A SignedData without signers: no SignerInfo, no content, both certificates.
    const unsigned char* p = der->data();
    OsslPtr<CMS_ContentInfo> cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der->size())));
    ASSERT_NE(cms, nullptr);
    EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())), NID_pkcs7_signed);
    EXPECT_EQ(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms.get())), 0);
    auto back = parseCertificateBundle(*der);
    ASSERT_TRUE(back) << back.error().detail;
    ASSERT_EQ(back->size(), 2u);
    // certificates is a DER SET OF, so the encoding decides the order.
    EXPECT_TRUE(std::find(back->begin(), back->end(), certs[0]) != back->end());
    EXPECT_TRUE(std::find(back->begin(), back->end(), certs[1]) != back->end());

    auto none = makeCertificateBundle({});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

} // namespace
} // namespace sealpost::crypto
