#include "crypto/CmsStream.h"

#include "CryptoTestSupport.h"
#include "crypto/CmsDecryptor.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <vector>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::encryptToString;
using test::loadIdentity;
using test::smimeDer;

const std::string kContent = "Content-Type: text/plain\r\n\r\nThe secret is 42.\r\n";

// Hands out at most `step` bytes per read, to cross every buffer boundary.
class TrickleSource final : public base::ByteSource {
public:
    TrickleSource(std::string_view data, std::size_t step) : m_inner(data), m_step(step) {}
    base::Result<std::size_t> read(std::span<std::uint8_t> out) override {
        return m_inner.read(out.first(std::min(out.size(), m_step)));
    }
    bool rewind() override { return m_inner.rewind(); }

private:
    base::ViewSource m_inner;
    std::size_t m_step;
};

base::Result<Decrypted> streamDecrypt(base::ByteSource& source, const std::vector<Identity>& ids) {
    auto streamed = readEnvelopedStream(source, 0);
    if (!streamed) {
        return streamed.error();
    }
    auto parsed = CmsDecryptor::parse(streamed->envelope);
    if (!parsed) {
        return parsed.error();
    }
    return parsed->decryptDetached(ids, std::move(streamed->content));
}

base::Result<Decrypted> streamDecrypt(const std::string& der, const std::vector<Identity>& ids) {
    base::ViewSource source(der);
    return streamDecrypt(source, ids);
}

class CmsStreamTest : public ::testing::Test {
protected:
    Identity m_alice = loadIdentity("alice");
    Identity m_bob = loadIdentity("bob");
};

TEST_F(CmsStreamTest, DecryptsLikeTheWholeDerForEveryCipherAndSize) {
    std::string large;
    for (int i = 0; large.size() < 3 * 1024 * 1024 + 17; ++i) {
        large += "line " + std::to_string(i) + " of a large message\r\n";
    }
    for (ContentCipher c :
         {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
        for (const std::string* content : {&kContent, static_cast<const std::string*>(&large)}) {
            const std::string der = encryptToString(*content, {m_alice.certificate, m_bob.certificate}, {c});
            for (const Identity* id : {&m_alice, &m_bob}) {
                auto whole = decryptCms(test::bytes(der), std::span(id, 1));
                auto streamed = streamDecrypt(der, {*id});
                ASSERT_TRUE(whole) << whole.error().detail;
                ASSERT_TRUE(streamed) << cipherName(c) << ": " << streamed.error().detail;
                EXPECT_TRUE(streamed->content == whole->content) << cipherName(c);
                EXPECT_EQ(streamed->cipher, c);
                EXPECT_EQ(streamed->type, whole->type);
                EXPECT_EQ(streamed->contentEncryptionOid, whole->contentEncryptionOid);
            }
        }
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsStreamTest, EmptyContent) {
    for (ContentCipher c : {ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc}) {
        auto d = streamDecrypt(encryptToString("", {m_alice.certificate}, {c}), {m_alice});
        ASSERT_TRUE(d) << d.error().detail;
        EXPECT_EQ(d->content, "");
    }
}

TEST_F(CmsStreamTest, DefiniteLengthDerWithPrimitiveContent) {
    // OpenSSL's DER re-encoding: definite lengths, one primitive [0] for the content.
    for (ContentCipher c : {ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc}) {
        const std::string ber = encryptToString(kContent, {m_alice.certificate}, {c});
        auto parsed = CmsDecryptor::parse(test::bytes(ber));
        ASSERT_TRUE(parsed);
        auto der = parsed->encode();
        ASSERT_TRUE(der);
        const std::string text(base::asString(*der));
        auto d = streamDecrypt(text, {m_alice});
        ASSERT_TRUE(d) << d.error().detail;
        EXPECT_EQ(d->content, kContent);
    }
}

TEST_F(CmsStreamTest, GoldenMessagesFromOtherToolsDecrypt) {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"encrypted-cbc-bob", "bob"}, {"encrypted-gcm-alice", "alice"}, {"encrypted-oaep-alice", "alice"},
        {"encrypted-multi", "carol"}, {"signed-then-encrypted", "bob"}, {"encrypted-header-protected", "bob"},
    };
    for (const auto& [eml, who] : cases) {
        const std::string der = smimeDer(std::string(eml) + ".eml");
        const std::vector<Identity> ids{loadIdentity(who)};
        auto whole = decryptCms(test::bytes(der), ids);
        ASSERT_TRUE(whole) << eml;
        for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{1000000}}) {
            TrickleSource source(der, step);
            auto streamed = streamDecrypt(source, ids);
            ASSERT_TRUE(streamed) << eml << " step " << step << ": " << streamed.error().detail;
            EXPECT_EQ(streamed->content, whole->content) << eml;
            EXPECT_EQ(streamed->cipher, whole->cipher) << eml;
        }
    }
}

TEST_F(CmsStreamTest, WrongKeyIsNoMatchingKey) {
    auto d = streamDecrypt(encryptToString(kContent, {m_alice.certificate}), {m_bob});
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::NoMatchingKey);
}

TEST_F(CmsStreamTest, TamperedGcmTagFailsWithoutPlaintext) {
    const std::string der = encryptToString(kContent, {m_alice.certificate});
    // The mac is the last OCTET STRING, followed by three end-of-contents octets (see
    // CmsDecryptorTest.TamperedGcmTagFails); found by position, as the tag may contain "04 10".
    ASSERT_GE(der.size(), 24U);
    const std::size_t macHeader = der.size() - 6 - 16 - 2;
    ASSERT_EQ(der.compare(macHeader, 2, std::string("\x04\x10", 2)), 0);
    std::string tampered = der;
    tampered[macHeader + 5] = static_cast<char>(tampered[macHeader + 5] ^ 0x80);
    auto d = streamDecrypt(tampered, {m_alice});
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::DecryptionFailed) << d.error().detail;
    EXPECT_EQ(d.error().detail.find("secret"), std::string::npos);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsStreamTest, TamperedGcmCiphertextFails) {
    std::string large(200000, 'x');
    const std::string der = encryptToString(large, {m_alice.certificate});
    for (std::size_t at : {der.size() / 2, der.size() - 200}) {
        std::string tampered = der;
        tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
        auto d = streamDecrypt(tampered, {m_alice});
        ASSERT_FALSE(d) << "byte " << at;
        EXPECT_NE(d.error().code, ErrorCode::NoMatchingKey);
    }
}

TEST_F(CmsStreamTest, TruncatedStreamIsMalformedInput) {
    const std::string der = encryptToString(kContent, {m_alice.certificate});
    for (std::size_t len = 0; len < der.size(); ++len) {
        base::ViewSource source(std::string_view(der).substr(0, len));
        auto streamed = readEnvelopedStream(source, 0);
        ASSERT_FALSE(streamed) << "prefix of " << len << " bytes accepted";
        EXPECT_EQ(streamed.error().code, ErrorCode::MalformedInput) << streamed.error().detail;
    }
}

TEST_F(CmsStreamTest, DataAfterTheContentInfoIsIgnored) {
    const std::string der = encryptToString(kContent, {m_alice.certificate}) + "trailing";
    auto d = streamDecrypt(der, {m_alice});
    ASSERT_TRUE(d) << d.error().detail;
    EXPECT_EQ(d->content, kContent);
}

TEST_F(CmsStreamTest, OtherContentTypesAreMalformedInput) {
    const std::string signedData = test::signToString(kContent, m_alice, test::defaultSignOptions(false));
    for (const std::string& input :
         {signedData, std::string("garbage"), std::string(), test::readFile("certs-only.p7c")}) {
        base::ViewSource source(input);
        auto streamed = readEnvelopedStream(source, 0);
        ASSERT_FALSE(streamed);
        EXPECT_EQ(streamed.error().code, ErrorCode::MalformedInput) << streamed.error().detail;
    }
}

TEST_F(CmsStreamTest, NestedConstructedContentIsUnsupported) {
    // encryptedContent [0] { OCTET STRING (constructed) { OCTET STRING } }: valid BER, never written.
    const std::string der = encryptToString(kContent, {m_alice.certificate});
    const std::string chunk = std::string("\xA0\x80\x04", 3);
    const auto at = der.find(chunk);
    ASSERT_NE(at, std::string::npos);
    std::string nested = der;
    nested.insert(at + 2, std::string("\x24\x80", 2));
    const auto eoc = nested.find(std::string("\x00\x00", 2), at + 4);
    ASSERT_NE(eoc, std::string::npos);
    nested.insert(eoc, std::string("\x00\x00", 2));
    base::ViewSource source(nested);
    auto streamed = readEnvelopedStream(source, 0);
    ASSERT_FALSE(streamed);
    EXPECT_EQ(streamed.error().code, ErrorCode::Unsupported) << streamed.error().detail;
}

TEST_F(CmsStreamTest, DecryptDetachedRefusesAStructureWithContent) {
    const std::string der = encryptToString(kContent, {m_alice.certificate});
    auto parsed = CmsDecryptor::parse(test::bytes(der));
    ASSERT_TRUE(parsed);
    auto d = parsed->decryptDetached({&m_alice, 1}, "ciphertext");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace sealpost::crypto
