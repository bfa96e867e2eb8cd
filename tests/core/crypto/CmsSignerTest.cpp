#include "crypto/CmsSigner.h"

#include "CryptoTestSupport.h"
#include "crypto/CmsOutline.h"
#include "crypto/CmsVerifier.h"
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
using test::OnePiece;
using test::signToString;

const std::string kContent = "Content-Type: text/plain\r\n\r\nHello Bob,\r\n\r\nsigned text.\r\n";

class CmsSignerTest : public ::testing::Test {
protected:
    Verified verify(const std::string& der, const std::string& detached,
                    const std::vector<Certificate>& anchors) const {
        const std::array<base::ByteView, 1> content = {bytes(detached)};
        VerifyOptions options{anchors, test::checkTime()};
        auto v = verifyCms(bytes(der), detached.empty() ? std::span<const base::ByteView>() : content, options);
        EXPECT_TRUE(v) << v.error().detail;
        return v ? *v : Verified{};
    }

    std::vector<Certificate> m_root{loadCert("root-ca.cert.pem")};
    Identity m_alice = loadIdentity("alice");
};

OsslPtr<CMS_ContentInfo> parseCms(const std::string& der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    return OsslPtr<CMS_ContentInfo>(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

TEST_F(CmsSignerTest, DetachedRoundTrip) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    EXPECT_EQ(der.find("signed text"), std::string::npos) << "detached signature must not carry the content";
    auto outline = inspectCms(bytes(der));
    ASSERT_TRUE(outline);
    EXPECT_EQ(outline->type, CmsContentType::SignedData);

    const Verified v = verify(der, kContent, m_root);
    EXPECT_TRUE(v.detached);
    EXPECT_EQ(v.eContentTypeOid, "1.2.840.113549.1.7.1");
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << v.signers[0].detail;
    EXPECT_EQ(v.signers[0].problem, SignerProblem::None);
    ASSERT_TRUE(v.signers[0].certificate);
    EXPECT_TRUE(*v.signers[0].certificate == m_alice.certificate);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsSignerTest, OpaqueRoundTrip) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(false));
    const Verified v = verify(der, {}, m_root);
    EXPECT_FALSE(v.detached);
    EXPECT_EQ(v.content, kContent);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << v.signers[0].detail;
}

TEST_F(CmsSignerTest, OutputIsDer) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(false));
    OsslPtr<CMS_ContentInfo> cms = parseCms(der);
    ASSERT_NE(cms, nullptr);
    unsigned char* reencoded = nullptr;
    const int len = i2d_CMS_ContentInfo(cms.get(), &reencoded);
    ASSERT_GT(len, 0);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(reencoded), static_cast<std::size_t>(len)), der);
    OPENSSL_free(reencoded);
}

TEST_F(CmsSignerTest, EveryDigestRoundTrips) {
    for (DigestAlgorithm d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512}) {
        SignOptions o = defaultSignOptions(true);
        o.digest = d;
        const std::string der = signToString(kContent, m_alice, o);
        OsslPtr<CMS_ContentInfo> cms = parseCms(der);
        ASSERT_NE(cms, nullptr);
        CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
        X509_ALGOR* digestAlg = nullptr;
        CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digestAlg, nullptr);
        const ASN1_OBJECT* oid = nullptr;
        X509_ALGOR_get0(&oid, nullptr, nullptr, digestAlg);
        const int expectedNid = d == DigestAlgorithm::Sha256   ? NID_sha256
                                : d == DigestAlgorithm::Sha384 ? NID_sha384
                                                               : NID_sha512;
        EXPECT_EQ(OBJ_obj2nid(oid), expectedNid);
        const Verified v = verify(der, kContent, m_root);
        ASSERT_EQ(v.signers.size(), 1u);
        EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << micalgName(d) << ": " << v.signers[0].detail;
    }
}

TEST_F(CmsSignerTest, EcSignerRoundTrips) {
    const Identity bob = loadIdentity("bob");
    const std::string der = signToString(kContent, bob, defaultSignOptions(true));
    const Verified v = verify(der, kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << v.signers[0].detail;
    EXPECT_TRUE(*v.signers[0].certificate == bob.certificate);
}

TEST_F(CmsSignerTest, PiecesAreSignedAsTheirConcatenation) {
    const std::string a = kContent.substr(0, 7);
    const std::string b; // empty pieces are fine
    const std::string c = kContent.substr(7);
    const std::array<base::ByteView, 3> pieces = {bytes(a), bytes(b), bytes(c)};
    std::string der;
    base::StringSink sink(der);
    ASSERT_TRUE(signCms(pieces, m_alice, defaultSignOptions(true), sink));
    const Verified v = verify(der, kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << v.signers[0].detail;
}

TEST_F(CmsSignerTest, LargeContentStreams) {
    std::string big;
    for (int i = 0; i < 20000; ++i) {
        big += "line " + std::to_string(i) + " of a long signed message\r\n";
    }
    const std::string der = signToString(big, m_alice, defaultSignOptions(false));
    const Verified v = verify(der, {}, m_root);
    EXPECT_EQ(v.content, big);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid);
}

TEST_F(CmsSignerTest, EmptyContentCanBeSigned) {
    const std::string der = signToString("", m_alice, defaultSignOptions(false));
    const Verified v = verify(der, {}, m_root);
    EXPECT_EQ(v.content, "");
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid) << v.signers[0].detail;
}

TEST_F(CmsSignerTest, SigningTimeIsTheCallersTime) {
    SignOptions o = defaultSignOptions(true);
    o.signingTime = test::utc(2026, 3, 4) + std::chrono::hours(5) + std::chrono::seconds(6);
    const Verified v = verify(signToString(kContent, m_alice, o), kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    ASSERT_TRUE(v.signers[0].signingTime);
    EXPECT_EQ(*v.signers[0].signingTime, o.signingTime);
}

TEST_F(CmsSignerTest, SigningTimeAfter2049IsGeneralizedTime) {
    SignOptions o = defaultSignOptions(true);
    o.signingTime = test::utc(2051, 2, 3);
    const std::string der = signToString(kContent, m_alice, o);
    OsslPtr<CMS_ContentInfo> cms = parseCms(der);
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    ASSERT_GE(idx, 0);
    EXPECT_EQ(X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0)->type, V_ASN1_GENERALIZEDTIME);
    VerifyOptions options{m_root, test::checkTime()};
    const std::array<base::ByteView, 1> content = {bytes(kContent)};
    auto v = verifyCms(bytes(der), content, options);
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->signers.at(0).signingTime);
    EXPECT_EQ(*v->signers.at(0).signingTime, o.signingTime);
}

TEST_F(CmsSignerTest, AnnouncesCapabilitiesInOrder) {
    const Verified v = verify(signToString(kContent, m_alice, defaultSignOptions(true)), kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_TRUE(v.signers[0].announcedCapabilities);
    const auto advertised = advertisedCapabilities();
    EXPECT_EQ(v.signers[0].capabilities, std::vector<ContentCipher>(advertised.begin(), advertised.end()));
    EXPECT_EQ(v.signers[0].capabilities,
              (std::vector<ContentCipher>{ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc,
                                          ContentCipher::Aes128Cbc}));
}

TEST_F(CmsSignerTest, EncryptionKeyPreferenceDefaultsToSigner) {
    const std::string der = signToString(kContent, m_alice, defaultSignOptions(true));
    const Verified v = verify(der, kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    ASSERT_TRUE(v.signers[0].encryptionKeyPreference);
    EXPECT_TRUE(*v.signers[0].encryptionKeyPreference == m_alice.certificate);

    // Both the RFC 8551 attribute ([0] IMPLICIT) and Microsoft's (SEQUENCE) are present.
    OsslPtr<CMS_ContentInfo> cms = parseCms(der);
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    const int standard = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_encrypKeyPref, -1);
    ASSERT_GE(standard, 0);
    const ASN1_TYPE* st = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, standard), 0);
    ASSERT_EQ(st->type, V_ASN1_OTHER);
    EXPECT_EQ(ASN1_STRING_get0_data(st->value.asn1_string)[0], 0xA0);
    OsslPtr<ASN1_OBJECT> msOid(OBJ_txt2obj("1.3.6.1.4.1.311.16.4", 1));
    const int microsoft = CMS_signed_get_attr_by_OBJ(si, msOid.get(), -1);
    ASSERT_GE(microsoft, 0);
    const ASN1_TYPE* mt = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, microsoft), 0);
    ASSERT_EQ(mt->type, V_ASN1_SEQUENCE);
    EXPECT_EQ(ASN1_STRING_get0_data(mt->value.sequence)[0], 0x30);
}

TEST_F(CmsSignerTest, SeparateEncryptionCertificateIsAnnouncedAndAttached) {
    // A separate encryption certificate (here Carol's, standing in for Alice's second certificate).
    const Certificate carol = loadCert("carol.cert.pem");
    SignOptions o = defaultSignOptions(true);
    o.encryptionCertificate = carol;
    const Verified v = verify(signToString(kContent, m_alice, o), kContent, m_root);
    ASSERT_EQ(v.signers.size(), 1u);
    EXPECT_EQ(v.signers[0].status, SignatureStatus::Valid);
    ASSERT_TRUE(v.signers[0].encryptionKeyPreference);
    EXPECT_TRUE(*v.signers[0].encryptionKeyPreference == carol);
    EXPECT_EQ(std::count(v.certificates.begin(), v.certificates.end(), carol), 1);
}

TEST_F(CmsSignerTest, EncryptionCertificateEqualToSignerIsNotDuplicated) {
    SignOptions o = defaultSignOptions(true);
    o.encryptionCertificate = m_alice.certificate;
    const Verified v = verify(signToString(kContent, m_alice, o), kContent, m_root);
    EXPECT_EQ(std::count(v.certificates.begin(), v.certificates.end(), m_alice.certificate), 1);
    EXPECT_EQ(v.certificates.size(), 2u);
}

TEST_F(CmsSignerTest, ChainIsIncludedUnlessDisabled) {
    const Certificate intermediate = loadCert("intermediate-ca.cert.pem");
    const Verified with = verify(signToString(kContent, m_alice, defaultSignOptions(true)), kContent, m_root);
    EXPECT_EQ(with.certificates.size(), 2u);
    EXPECT_EQ(std::count(with.certificates.begin(), with.certificates.end(), intermediate), 1);

    SignOptions o = defaultSignOptions(true);
    o.includeChain = false;
    const std::string der = signToString(kContent, m_alice, o);
    const Verified without = verify(der, kContent, m_root);
    ASSERT_EQ(without.certificates.size(), 1u);
    EXPECT_TRUE(without.certificates[0] == m_alice.certificate);
    ASSERT_EQ(without.signers.size(), 1u);
    EXPECT_EQ(without.signers[0].status, SignatureStatus::Untrusted) << "no path to the root without the intermediate";
    // With the intermediate as anchor, the chain is complete again.
    const Verified anchored = verify(der, kContent, {intermediate});
    EXPECT_EQ(anchored.signers.at(0).status, SignatureStatus::Valid) << anchored.signers.at(0).detail;
}

TEST_F(CmsSignerTest, DuplicateChainEntriesAreHarmless) {
    Identity id = m_alice;
    id.chain.push_back(id.chain.front());
    id.chain.push_back(id.certificate);
    const Verified v = verify(signToString(kContent, id, defaultSignOptions(true)), kContent, m_root);
    EXPECT_EQ(v.certificates.size(), 2u);
    EXPECT_EQ(v.signers.at(0).status, SignatureStatus::Valid);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsSignerTest, KeyNotMatchingCertificateIsInvalidArgument) {
    Identity wrong = m_alice;
    wrong.key = test::loadKey("carol.key.pem");
    std::string out;
    base::StringSink sink(out);
    auto r = signCms(OnePiece(kContent), wrong, defaultSignOptions(true), sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(out.empty());
}

TEST_F(CmsSignerTest, FailingSinkIsIoError) {
    test::FailingSink sink;
    auto r = signCms(OnePiece(kContent), m_alice, defaultSignOptions(true), sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Io);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CmsSignerTest, SignaturesAreDeterministicForRsa) {
    // RSA PKCS#1 v1.5 and a fixed signingTime: signing twice gives the same bytes.
    const SignOptions o = defaultSignOptions(true);
    EXPECT_EQ(signToString(kContent, m_alice, o), signToString(kContent, m_alice, o));
}

} // namespace
} // namespace sealpost::crypto
