#include "crypto/CmsVerifier.h"

#include "CryptoTestSupport.h"
#include "crypto/Asn1Util.h"
#include "crypto/OpenSslHandles.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <vector>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::defaultSignOptions;
using test::loadCert;
using test::loadIdentity;
using test::readFile;
using test::signToString;
using test::splitMultipartSigned;

const std::string kContent = "Content-Type: text/plain\r\n\r\nPlease pay 100 EUR.\r\n";

class CmsVerifierTest : public ::testing::Test {
protected:
    base::Result<Verified> verifyAt(const std::string& der, const std::string* detached, base::TimePoint at,
                                    const std::vector<Certificate>& anchors) const {
        std::array<base::ByteView, 1> content{};
        std::span<const base::ByteView> pieces;
        if (detached != nullptr) {
            content[0] = bytes(*detached);
            pieces = content;
        }
        return verifyCms(bytes(der), pieces, VerifyOptions{anchors, at});
    }

    // The one signer of a message checked at the test clock against the root.
    SignerResult verifyOne(const std::string& der, const std::string* detached,
                           const std::vector<Certificate>& anchors) const {
        auto v = verifyAt(der, detached, test::checkTime(), anchors);
        EXPECT_TRUE(v) << v.error().detail;
        EXPECT_EQ(ERR_peek_error(), 0u);
        if (!v || v->signers.size() != 1) {
            ADD_FAILURE() << "expected exactly one signer";
            return {};
        }
        return v->signers[0];
    }

    SignerResult verifyGolden(const char* eml) const {
        const test::MultipartSigned parts = splitMultipartSigned(readFile(eml));
        return verifyOne(parts.signature, &parts.signedPart, m_root);
    }

    std::vector<Certificate> m_root{loadCert("root-ca.cert.pem")};
    Identity m_alice = loadIdentity("alice");
};

// CMS made directly with OpenSSL, for shapes our signer never produces.
std::string rawSign(const Identity& id, const std::string& content, unsigned int flags) {
    auto in = memoryBio(content.data(), content.size());
    X509RefStackPtr chain(sk_X509_new_null());
    for (const Certificate& c : id.chain) {
        sk_X509_push(chain.get(), c.native());
    }
    OsslPtr<CMS_ContentInfo> cms(
        CMS_sign(id.certificate.native(), id.key.native(), chain.get(), in.get(), flags | CMS_BINARY));
    EXPECT_NE(cms, nullptr);
    unsigned char* der = nullptr;
    const int len = i2d_CMS_ContentInfo(cms.get(), &der);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

TEST_F(CmsVerifierTest, GoldenDetachedIsValid) {
    const std::string eml = readFile("signed-detached.eml");
    const test::MultipartSigned parts = splitMultipartSigned(eml);
    EXPECT_EQ(parts.signedPart, readFile("parts/signed-detached.payload.mime"));
    auto v = verifyAt(parts.signature, &parts.signedPart, test::checkTime(), m_root);
    ASSERT_TRUE(v) << v.error().detail;
    EXPECT_TRUE(v->detached);
    EXPECT_EQ(v->eContentTypeOid, "1.2.840.113549.1.7.1");
    EXPECT_TRUE(v->content.empty());
    EXPECT_EQ(v->certificates.size(), 2u);
    ASSERT_EQ(v->signers.size(), 1u);
    const SignerResult& r = v->signers[0];
    EXPECT_EQ(r.status, SignatureStatus::Valid) << r.detail;
    EXPECT_EQ(r.problem, SignerProblem::None);
    ASSERT_TRUE(r.certificate);
    EXPECT_TRUE(r.certificate->hasEmailAddress("alice@example.org"));
    ASSERT_TRUE(r.signingTime);
    EXPECT_EQ(*r.signingTime, test::fixtureSigningTime());
    EXPECT_FALSE(r.expiredSinceSigning);
}

TEST_F(CmsVerifierTest, GoldenOpaqueIsValidAndYieldsContent) {
    auto v = verifyAt(test::smimeDer("signed-opaque.eml"), nullptr, test::checkTime(), m_root);
    ASSERT_TRUE(v) << v.error().detail;
    EXPECT_FALSE(v->detached);
    EXPECT_EQ(v->content, readFile("parts/signed-opaque.payload.mime"));
    ASSERT_EQ(v->signers.size(), 1u);
    EXPECT_EQ(v->signers[0].status, SignatureStatus::Valid) << v->signers[0].detail;
}

TEST_F(CmsVerifierTest, GoldenOpenSslCliCapabilitiesAreRead) {
    // The CLI announces its default list, which includes AES-256-CBC and AES-128-CBC.
    const SignerResult r = verifyGolden("signed-detached.eml");
    EXPECT_TRUE(r.announcedCapabilities);
    EXPECT_NE(std::find(r.capabilities.begin(), r.capabilities.end(), ContentCipher::Aes256Cbc), r.capabilities.end());
    EXPECT_FALSE(r.encryptionKeyPreference) << "the CLI does not add SMIMEEncryptionKeyPreference";
}

TEST_F(CmsVerifierTest, GoldenTamperedIsInvalidDigestMismatch) {
    const SignerResult r = verifyGolden("signed-tampered.eml");
    EXPECT_EQ(r.status, SignatureStatus::Invalid);
    EXPECT_EQ(r.problem, SignerProblem::DigestMismatch);
}

TEST_F(CmsVerifierTest, GoldenUntrustedRoot) {
    const SignerResult r = verifyGolden("signed-untrusted.eml");
    EXPECT_EQ(r.status, SignatureStatus::Untrusted);
    EXPECT_EQ(r.problem, SignerProblem::ChainUntrusted);
    EXPECT_FALSE(r.detail.empty());
    ASSERT_TRUE(r.certificate);
    EXPECT_TRUE(r.certificate->hasEmailAddress("dave@example.org"));
}

TEST_F(CmsVerifierTest, GoldenExpiredCertificate) {
    const SignerResult r = verifyGolden("signed-expired.eml");
    EXPECT_EQ(r.status, SignatureStatus::Expired) << r.detail;
    EXPECT_EQ(r.problem, SignerProblem::CertificateExpired);
    EXPECT_FALSE(r.expiredSinceSigning);
}

TEST_F(CmsVerifierTest, GoldenCertificateWithoutEmailProtection) {
    const SignerResult r = verifyGolden("signed-noemail-usage.eml");
    EXPECT_EQ(r.status, SignatureStatus::Untrusted) << r.detail;
    EXPECT_EQ(r.problem, SignerProblem::NotForEmailProtection);
}

TEST_F(CmsVerifierTest, GoldenOtherSignedMessagesAreValid) {
    for (const char* eml : {"signed-from-mismatch.eml", "signed-header-protected.eml"}) {
        const SignerResult r = verifyGolden(eml);
        EXPECT_EQ(r.status, SignatureStatus::Valid) << eml << ": " << r.detail;
    }
}

TEST_F(CmsVerifierTest, IntermediateAsAnchor) {
    const test::MultipartSigned parts = splitMultipartSigned(readFile("signed-detached.eml"));
    const SignerResult r = verifyOne(parts.signature, &parts.signedPart, {loadCert("intermediate-ca.cert.pem")});
    EXPECT_EQ(r.status, SignatureStatus::Valid) << r.detail;
}

TEST_F(CmsVerifierTest, LeafAsAnchorWithoutCertificatesInMessage) {
    // CMS_NOCERTS: the message carries no certificate, so the signer can only come from the anchors.
    const std::string der = rawSign(m_alice, kContent, CMS_DETACHED | CMS_NOCERTS);
    const SignerResult missing = verifyOne(der, &kContent, m_root);
    EXPECT_EQ(missing.status, SignatureStatus::Error);
    EXPECT_EQ(missing.problem, SignerProblem::SignerCertificateMissing);
    EXPECT_FALSE(missing.certificate);

    const SignerResult pinned = verifyOne(der, &kContent, {m_alice.certificate});
    EXPECT_EQ(pinned.status, SignatureStatus::Valid) << pinned.detail;
}

TEST_F(CmsVerifierTest, NoAnchorsIsUntrusted) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    const SignerResult r = verifyOne(der, &kContent, {});
    EXPECT_EQ(r.status, SignatureStatus::Untrusted);
    EXPECT_EQ(r.problem, SignerProblem::ChainUntrusted);
}

TEST_F(CmsVerifierTest, WrongAnchorIsUntrusted) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    const SignerResult r = verifyOne(der, &kContent, {loadCert("other-root-ca.cert.pem")});
    EXPECT_EQ(r.status, SignatureStatus::Untrusted);
}

TEST_F(CmsVerifierTest, TamperedContentIsInvalidDigestMismatch) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    std::string tampered = kContent;
    tampered[tampered.find("100")] = '9';
    const SignerResult r = verifyOne(der, &tampered, m_root);
    EXPECT_EQ(r.status, SignatureStatus::Invalid);
    EXPECT_EQ(r.problem, SignerProblem::DigestMismatch);
    ASSERT_TRUE(r.certificate);
}

TEST_F(CmsVerifierTest, TamperedSignatureIsInvalidBadSignature) {
    std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    der.back() = static_cast<char>(der.back() ^ 0x01); // the signature value ends the DER
    const SignerResult r = verifyOne(der, &kContent, m_root);
    EXPECT_EQ(r.status, SignatureStatus::Invalid);
    EXPECT_EQ(r.problem, SignerProblem::BadSignature);
}

TEST_F(CmsVerifierTest, TamperedOpaqueContentIsInvalid) {
    std::string der = signToString(kContent, m_alice, defaultSignOptions(false));
    const auto at = der.find("100 EUR");
    ASSERT_NE(at, std::string::npos);
    der[at] = '9';
    const SignerResult r = verifyOne(der, nullptr, m_root);
    EXPECT_EQ(r.status, SignatureStatus::Invalid);
    EXPECT_EQ(r.problem, SignerProblem::DigestMismatch);
}

TEST_F(CmsVerifierTest, NoSignedAttributes) {
    const std::string der = rawSign(m_alice, kContent, CMS_DETACHED | CMS_NOATTR);
    const SignerResult ok = verifyOne(der, &kContent, m_root);
    EXPECT_EQ(ok.status, SignatureStatus::Valid) << ok.detail;
    EXPECT_FALSE(ok.signingTime);
    EXPECT_FALSE(ok.announcedCapabilities);

    std::string tampered = kContent;
    tampered[0] = 'c';
    const SignerResult bad = verifyOne(der, &tampered, m_root);
    EXPECT_EQ(bad.status, SignatureStatus::Invalid);
    EXPECT_EQ(bad.problem, SignerProblem::BadSignature);
}

TEST_F(CmsVerifierTest, ExpiredSinceSigningIsValid) {
    // Alice, the intermediate and the root all expire on 2035-01-01; the signature is from 2026.
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    auto v = verifyAt(der, &kContent, test::utc(2036, 6, 1), m_root);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->signers.size(), 1u);
    EXPECT_EQ(v->signers[0].status, SignatureStatus::Valid) << v->signers[0].detail;
    EXPECT_TRUE(v->signers[0].expiredSinceSigning);
}

TEST_F(CmsVerifierTest, SigningTimeAfterCheckTimeGivesNoFallback) {
    SignOptions o = defaultSignOptions(true);
    o.signingTime = test::utc(2037, 1, 1);
    const std::string der = signToString(kContent, m_alice, o);
    auto v = verifyAt(der, &kContent, test::utc(2036, 6, 1), m_root);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->signers.size(), 1u);
    EXPECT_EQ(v->signers[0].status, SignatureStatus::Expired);
    EXPECT_FALSE(v->signers[0].expiredSinceSigning);
}

TEST_F(CmsVerifierTest, NotYetValid) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    auto v = verifyAt(der, &kContent, test::utc(2024, 6, 1), m_root);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->signers.size(), 1u);
    EXPECT_EQ(v->signers[0].status, SignatureStatus::Expired);
    EXPECT_EQ(v->signers[0].problem, SignerProblem::CertificateNotYetValid);
}

TEST_F(CmsVerifierTest, ExpiredSignerFromOurSigner) {
    const SignerResult r =
        verifyOne(signToString(kContent, loadIdentity("eve-expired"), defaultSignOptions(true)), &kContent, m_root);
    EXPECT_EQ(r.status, SignatureStatus::Expired);
    EXPECT_EQ(r.problem, SignerProblem::CertificateExpired);
}

TEST_F(CmsVerifierTest, CapabilitiesAndEncryptionKeyPreferenceReadBack) {
    SignOptions o = defaultSignOptions(true);
    const Certificate carol = loadCert("carol.cert.pem");
    o.encryptionCertificate = carol;
    const SignerResult r = verifyOne(signToString(kContent, m_alice, o), &kContent, m_root);
    EXPECT_TRUE(r.announcedCapabilities);
    EXPECT_EQ(r.capabilities, (std::vector<ContentCipher>{ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm,
                                                          ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}));
    ASSERT_TRUE(r.encryptionKeyPreference);
    EXPECT_TRUE(*r.encryptionKeyPreference == carol);
}

TEST_F(CmsVerifierTest, MultipleSignersAreJudgedSeparately) {
    const Identity eve = loadIdentity("eve-expired");
    auto in = memoryBio(kContent.data(), kContent.size());
    const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    OsslPtr<CMS_ContentInfo> cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
    ASSERT_NE(CMS_add1_signer(cms.get(), m_alice.certificate.native(), m_alice.key.native(), EVP_sha256(), flags),
              nullptr);
    ASSERT_NE(CMS_add1_signer(cms.get(), eve.certificate.native(), eve.key.native(), EVP_sha256(), flags), nullptr);
    ASSERT_EQ(CMS_add1_cert(cms.get(), m_alice.chain.front().native()), 1);
    ASSERT_EQ(CMS_final(cms.get(), in.get(), nullptr, flags), 1);
    unsigned char* raw = nullptr;
    const int len = i2d_CMS_ContentInfo(cms.get(), &raw);
    const std::string der(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(len));
    OPENSSL_free(raw);

    auto v = verifyAt(der, &kContent, test::checkTime(), m_root);
    ASSERT_TRUE(v) << v.error().detail;
    ASSERT_EQ(v->signers.size(), 2u);
    EXPECT_EQ(v->signers[0].status, SignatureStatus::Valid) << v->signers[0].detail;
    EXPECT_EQ(v->signers[1].status, SignatureStatus::Expired) << v->signers[1].detail;
}

TEST_F(CmsVerifierTest, ZeroSignersCertsOnly) {
    const std::string p7c = readFile("certs-only.p7c");
    const std::string empty;
    for (const std::string* content : {&empty, static_cast<const std::string*>(nullptr)}) {
        auto v = verifyAt(p7c, content, test::checkTime(), m_root);
        ASSERT_TRUE(v) << v.error().detail;
        EXPECT_TRUE(v->signers.empty());
        EXPECT_EQ(v->certificates.size(), 2u);
        EXPECT_TRUE(std::count(v->certificates.begin(), v->certificates.end(), m_alice.certificate) == 1);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsVerifierTest, ZeroSignersWithEncapsulatedContent) {
    // SignedData carrying content but no signerInfos: the content must come back unsigned.
    // OpenSSL will not make one (it cannot digest without digestAlgorithms), so it is built here.
    auto tlv = [](std::uint8_t tag, const std::string& body) {
        base::Bytes header;
        appendDerHeader(header, tag, body.size());
        return std::string(header.begin(), header.end()) + body;
    };
    const std::string idData("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", 11);
    const std::string idSignedData("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 11);
    const std::string signedData = tlv(0x30, std::string("\x02\x01\x01", 3) + tlv(0x31, "") +
                                                 tlv(0x30, idData + tlv(0xA0, tlv(0x04, kContent))) + tlv(0x31, ""));
    const std::string der = tlv(0x30, idSignedData + tlv(0xA0, signedData));
    auto v = verifyAt(der, nullptr, test::checkTime(), m_root);
    ASSERT_TRUE(v) << v.error().detail;
    EXPECT_TRUE(v->signers.empty());
    EXPECT_FALSE(v->detached);
    EXPECT_EQ(v->content, kContent);
}

TEST_F(CmsVerifierTest, DetachedWithoutContentIsInvalidArgument) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    auto v = verifyAt(der, nullptr, test::checkTime(), m_root);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, ErrorCode::InvalidArgument);
}

TEST_F(CmsVerifierTest, DetachedContentInPieces) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    const std::string a = kContent.substr(0, 10);
    const std::string b = kContent.substr(10);
    const std::array<base::ByteView, 2> pieces = {bytes(a), bytes(b)};
    auto v = verifyCms(bytes(der), pieces, VerifyOptions{m_root, test::checkTime()});
    ASSERT_TRUE(v);
    EXPECT_EQ(v->signers.at(0).status, SignatureStatus::Valid);
}

TEST_F(CmsVerifierTest, NotSignedDataIsMalformedInput) {
    const std::string enveloped = test::encryptToString(kContent, {m_alice.certificate});
    for (const std::string& input : {enveloped, std::string("garbage"), std::string()}) {
        auto v = verifyAt(input, &kContent, test::checkTime(), m_root);
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error().code, ErrorCode::MalformedInput);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsVerifierTest, TruncatedSignatureIsAnErrorNotACrash) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    for (std::size_t len = 0; len < der.size(); len += 5) {
        auto v = verifyAt(der.substr(0, len), &kContent, test::checkTime(), m_root);
        if (v) {
            for (const SignerResult& r : v->signers) {
                EXPECT_NE(r.status, SignatureStatus::Valid) << "prefix " << len;
            }
        }
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

} // namespace
} // namespace sealpost::crypto
