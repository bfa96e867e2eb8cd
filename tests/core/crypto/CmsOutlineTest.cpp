#include "crypto/CmsOutline.h"

#include "CryptoTestSupport.h"
#include "crypto/Asn1Util.h"
#include "crypto/OpenSslHandles.h"

#include <chrono>
#include <gtest/gtest.h>
#include <random>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::encryptToString;
using test::loadCert;

const std::string kIdData("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", 11);
const std::string kIdEnveloped("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03", 11);

std::string tlv(std::uint8_t tag, const std::string& body) {
    base::Bytes header;
    appendDerHeader(header, tag, body.size());
    return std::string(header.begin(), header.end()) + body;
}

std::string reencodeAsDer(const std::string& ber) {
    auto bio = memoryBio(ber.data(), ber.size());
    OsslPtr<CMS_ContentInfo> cms(d2i_CMS_bio(bio.get(), nullptr));
    EXPECT_NE(cms, nullptr);
    unsigned char* der = nullptr;
    const int len = i2d_CMS_ContentInfo(cms.get(), &der);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

void expectMalformed(const std::string& input, const char* what) {
    auto outline = inspectCms(bytes(input));
    ASSERT_FALSE(outline) << what;
    EXPECT_EQ(outline.error().code, ErrorCode::MalformedInput) << what;
}

TEST(CmsOutlineTest, StreamedEnvelopedAndAuthEnveloped) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem")};
    auto gcm = inspectCms(bytes(encryptToString("x", to, {ContentCipher::Aes256Gcm, RsaPadding::Pkcs1v15})));
    ASSERT_TRUE(gcm) << gcm.error().detail;
    EXPECT_EQ(gcm->type, CmsContentType::AuthEnvelopedData);
    EXPECT_EQ(gcm->contentTypeOid, "1.2.840.113549.1.9.16.1.23");
    EXPECT_EQ(gcm->contentEncryptionOid, "2.16.840.1.101.3.4.1.46");
    EXPECT_EQ(gcm->cipher, ContentCipher::Aes256Gcm);

    auto cbc = inspectCms(bytes(encryptToString("x", to, {ContentCipher::Aes128Cbc, RsaPadding::Pkcs1v15})));
    ASSERT_TRUE(cbc) << cbc.error().detail;
    EXPECT_EQ(cbc->type, CmsContentType::EnvelopedData);
    EXPECT_EQ(cbc->contentTypeOid, "1.2.840.113549.1.7.3");
    EXPECT_EQ(cbc->cipher, ContentCipher::Aes128Cbc);
}

TEST(CmsOutlineTest, DefiniteLengthDerGivesTheSameOutline) {
    const std::string ber =
        encryptToString("hello", {loadCert("bob.cert.pem")}, {ContentCipher::Aes128Gcm, RsaPadding::Pkcs1v15});
    const std::string der = reencodeAsDer(ber);
    ASSERT_NE(der, ber);
    auto outline = inspectCms(bytes(der));
    ASSERT_TRUE(outline) << outline.error().detail;
    EXPECT_EQ(outline->type, CmsContentType::AuthEnvelopedData);
    EXPECT_EQ(outline->cipher, ContentCipher::Aes128Gcm);
}

TEST(CmsOutlineTest, SignedDataHasNoCipher) {
    const std::string der = test::signToString("x", test::loadIdentity("alice"), test::defaultSignOptions(false));
    auto outline = inspectCms(bytes(der));
    ASSERT_TRUE(outline);
    EXPECT_EQ(outline->type, CmsContentType::SignedData);
    EXPECT_EQ(outline->contentTypeOid, "1.2.840.113549.1.7.2");
    EXPECT_TRUE(outline->contentEncryptionOid.empty());
    EXPECT_FALSE(outline->cipher);
}

TEST(CmsOutlineTest, GoldenFixtures) {
    struct Case {
        const char* eml;
        CmsContentType type;
    };
    for (const Case& c : {Case{"encrypted-cbc-bob.eml", CmsContentType::EnvelopedData},
                          Case{"encrypted-gcm-alice.eml", CmsContentType::AuthEnvelopedData},
                          Case{"encrypted-oaep-alice.eml", CmsContentType::EnvelopedData},
                          Case{"encrypted-multi.eml", CmsContentType::AuthEnvelopedData},
                          Case{"signed-opaque.eml", CmsContentType::SignedData}}) {
        auto outline = inspectCms(bytes(test::smimeDer(c.eml)));
        ASSERT_TRUE(outline) << c.eml << ": " << outline.error().detail;
        EXPECT_EQ(outline->type, c.type) << c.eml;
        if (c.type != CmsContentType::SignedData) {
            EXPECT_TRUE(outline->cipher) << c.eml << " " << outline->contentEncryptionOid;
        }
    }
    auto p7c = inspectCms(bytes(test::readFile("certs-only.p7c")));
    ASSERT_TRUE(p7c);
    EXPECT_EQ(p7c->type, CmsContentType::SignedData);
}

TEST(CmsOutlineTest, DataAndOtherContentTypes) {
    auto data = inspectCms(bytes(tlv(0x30, kIdData + tlv(0xA0, tlv(0x04, "abc")))));
    ASSERT_TRUE(data);
    EXPECT_EQ(data->type, CmsContentType::Data);
    EXPECT_EQ(data->contentTypeOid, "1.2.840.113549.1.7.1");

    const std::string digested("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x05", 11);
    auto other = inspectCms(bytes(tlv(0x30, digested)));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->type, CmsContentType::Other);
    EXPECT_EQ(other->contentTypeOid, "1.2.840.113549.1.7.5");
}

TEST(CmsOutlineTest, UnknownContentEncryptionAlgorithm) {
    const std::string desCbc("\x06\x05\x2b\x0e\x03\x02\x07", 7);
    const std::string eci = tlv(0x30, kIdData + tlv(0x30, desCbc) + tlv(0x80, "ct"));
    const std::string env = tlv(0x30, std::string("\x02\x01\x00", 3) + tlv(0x31, "") + eci);
    auto outline = inspectCms(bytes(tlv(0x30, kIdEnveloped + tlv(0xA0, env))));
    ASSERT_TRUE(outline) << outline.error().detail;
    EXPECT_EQ(outline->type, CmsContentType::EnvelopedData);
    EXPECT_EQ(outline->contentEncryptionOid, "1.3.14.3.2.7");
    EXPECT_FALSE(outline->cipher);
}

TEST(CmsOutlineTest, GarbageIsMalformed) {
    expectMalformed("", "empty");
    expectMalformed(std::string(1, '\x30'), "one byte");
    expectMalformed("garbage", "text");
    expectMalformed(std::string("\x30\x00", 2), "empty SEQUENCE");
    expectMalformed(std::string("\x31\x03\x06\x01\x00", 5), "SET, not SEQUENCE");
    expectMalformed(tlv(0x30, tlv(0x02, "\x01")), "no OID");
    expectMalformed(std::string("\x1f\x81\x00", 3), "high tag number");
    expectMalformed(std::string("\x30\x89\x01\x02\x03\x04\x05\x06\x07\x08\x09", 11), "9-byte length");
    expectMalformed(std::string("\x30\x88\xff\xff\xff\xff\xff\xff\xff\xff", 10), "huge length");
    expectMalformed(std::string("\x30\x84\x7f\xff\xff\xff\x06\x00", 8), "length beyond input");
    expectMalformed(std::string("\x04\x80\x00\x00", 4), "indefinite primitive");
    expectMalformed(tlv(0x30, kIdEnveloped), "enveloped without content");
    expectMalformed(tlv(0x30, kIdEnveloped + tlv(0xA0, tlv(0x02, "\x00"))), "enveloped body not a SEQUENCE");
    expectMalformed(tlv(0x30, kIdEnveloped + tlv(0xA0, tlv(0x30, std::string("\x02\x01\x00", 3)))),
                    "enveloped without encryptedContentInfo");

    std::mt19937 rng(12345);
    for (int i = 0; i < 2000; ++i) {
        std::string noise(static_cast<std::size_t>(rng() % 64), '\0');
        for (char& ch : noise) {
            ch = static_cast<char>(rng() & 0xFF);
        }
        (void)inspectCms(bytes(noise)); // must not crash; the result does not matter
    }
}

TEST(CmsOutlineTest, EveryTruncationIsMalformedNotACrash) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem"), loadCert("bob.cert.pem")};
    const std::string ber = encryptToString("truncate me", to);
    const std::string der = reencodeAsDer(ber);
    for (const std::string* full : {&ber, &der}) {
        for (std::size_t len = 0; len < full->size(); ++len) {
            auto outline = inspectCms(bytes(full->substr(0, len)));
            EXPECT_FALSE(outline) << "prefix of " << len << " bytes parsed";
        }
        EXPECT_TRUE(inspectCms(bytes(*full)));
    }
}

TEST(CmsOutlineTest, EveryByteFlipIsHandled) {
    const std::string ber = encryptToString("flip me", {loadCert("alice.cert.pem")});
    for (std::size_t i = 0; i < ber.size(); ++i) {
        std::string flipped = ber;
        flipped[i] = static_cast<char>(flipped[i] ^ 0xFF);
        (void)inspectCms(bytes(flipped));
    }
    SUCCEED();
}

TEST(CmsOutlineTest, ModeratelyNestedIndefiniteLengthsAreAccepted) {
    // Data whose content is 20 nested indefinite-length constructed elements.
    std::string inner;
    for (int i = 0; i < 20; ++i) {
        inner += "\x30\x80";
    }
    inner += std::string("\x04\x01X", 3);
    for (int i = 0; i < 20; ++i) {
        inner += std::string(2, '\0');
    }
    const std::string msg = std::string("\x30\x80", 2) + kIdData + "\xa0\x80" + inner + std::string(4, '\0');
    auto outline = inspectCms(bytes(msg));
    ASSERT_TRUE(outline) << outline.error().detail;
    EXPECT_EQ(outline->type, CmsContentType::Data);
}

TEST(CmsOutlineTest, DeeplyNestedIndefiniteLengthsAreBoundedAndFast) {
    constexpr int kLevels = 200000;
    std::string open;
    open.reserve(kLevels * 2);
    for (int i = 0; i < kLevels; ++i) {
        open += "\x30\x80";
    }
    const std::string closed = open + std::string(static_cast<std::size_t>(kLevels) * 2, '\0');
    const std::string inEnveloped =
        std::string("\x30\x80", 2) + kIdEnveloped + "\xa0\x80" + closed + std::string(4, '\0');
    const auto start = std::chrono::steady_clock::now();
    for (const std::string* input : std::array<const std::string*, 3>{&open, &closed, &inEnveloped}) {
        auto outline = inspectCms(bytes(*input));
        EXPECT_FALSE(outline);
    }
    // Many siblings, each nested a little: linear work, no blow-up.
    std::string wide = std::string("\x30\x80", 2) + kIdData + "\xa0\x80";
    for (int i = 0; i < 20000; ++i) {
        wide += std::string("\x30\x80\x30\x80\x05\x00\x00\x00\x00\x00", 10);
    }
    wide += std::string(4, '\0');
    auto wideOutline = inspectCms(bytes(wide));
    ASSERT_TRUE(wideOutline) << wideOutline.error().detail;
    EXPECT_EQ(wideOutline->type, CmsContentType::Data);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

} // namespace
} // namespace sealpost::crypto
