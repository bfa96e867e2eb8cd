#include "engine/ProtectionPlan.h"

#include "EngineTestSupport.h"
#include "store/IdentityStore.h"

#include <gtest/gtest.h>

namespace sealpost::engine {
namespace {

using namespace test;

class ProtectionPlanTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};

    void rememberBob(std::optional<std::vector<crypto::ContentCipher>> capabilities) {
        store::CorrespondentStore correspondents(m_db, m_clock);
        auto done = correspondents.remember({.address = "bob@example.org",
                                             .cert = loadCertificate("bob.cert.pem"),
                                             .provenance = {store::ProvenanceKind::Harvested, "<b@test>"},
                                             .seenAt = signTime(),
                                             .signingTime = signTime(),
                                             .capabilities = std::move(capabilities),
                                             .encryptionKeyPreference = false});
        ASSERT_TRUE(done.ok()) << done.error().detail;
    }

    ProtectionPlan plan(const std::string& from, const std::vector<std::string>& to) {
        auto p = planProtection(m_db, m_clock, from, to);
        EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().detail);
        return p.ok() ? std::move(*p) : ProtectionPlan{};
    }
};

TEST_F(ProtectionPlanTest, PicksTheSendersIdentityAndEveryRecipientsCertificate) {
    ASSERT_TRUE(store::IdentityStore(m_db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Both).ok());
    rememberBob(std::vector{crypto::ContentCipher::Aes256Gcm, crypto::ContentCipher::Aes256Cbc});
    const ProtectionPlan p = plan("alice@example.org", {"bob@example.org"});
    ASSERT_TRUE(p.signer.has_value());
    EXPECT_EQ(p.signer->certificate, loadCertificate("alice.cert.pem"));
    ASSERT_TRUE(p.ownEncryption.has_value());
    ASSERT_EQ(p.recipients.size(), 1u);
    ASSERT_TRUE(p.recipients[0].selection.cert.has_value());
    EXPECT_EQ(p.recipients[0].selection.cert->cert, loadCertificate("bob.cert.pem"));
    EXPECT_TRUE(p.canEncrypt);
    EXPECT_EQ(p.cipher, crypto::ContentCipher::Aes256Gcm) << "Bob announced GCM";
}

TEST_F(ProtectionPlanTest, OneRecipientWithoutCertificateMeansNoEncryptionAndSaysWhy) {
    rememberBob(std::vector{crypto::ContentCipher::Aes256Gcm});
    const ProtectionPlan p = plan("", {"bob@example.org", "carol@example.org"});
    EXPECT_FALSE(p.canEncrypt);
    ASSERT_EQ(p.recipients.size(), 2u);
    EXPECT_TRUE(p.recipients[0].selection.cert.has_value());
    EXPECT_FALSE(p.recipients[1].selection.cert.has_value());
    EXPECT_EQ(p.recipients[1].selection.reason, store::SelectionReason::NoCertificate);
    EXPECT_FALSE(p.signer.has_value());
}

TEST_F(ProtectionPlanTest, CbcUnlessEveryRecipientAnnouncedGcm) {
    rememberBob(std::nullopt); // announced nothing: NSS and gpgsm cannot read GCM
    EXPECT_EQ(plan("", {"bob@example.org"}).cipher, crypto::ContentCipher::Aes256Cbc);
}

TEST_F(ProtectionPlanTest, SigningOnlyIdentityIsNoEncryptionCertificate) {
    ASSERT_TRUE(store::IdentityStore(m_db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Signing).ok());
    const ProtectionPlan p = plan("alice@example.org", {});
    EXPECT_TRUE(p.signer.has_value());
    EXPECT_FALSE(p.ownEncryption.has_value()) << "a signing-only identity is no encryption certificate";
    EXPECT_FALSE(p.canEncrypt) << "no recipient, nothing to encrypt to";
}

} // namespace
} // namespace sealpost::engine
