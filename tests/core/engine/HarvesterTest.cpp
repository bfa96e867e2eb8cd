#include "engine/Harvester.h"

#include "EngineTestSupport.h"
#include "mime/TransferEncoding.h"
#include "store/DirectoryUploadQueue.h"
#include "store/Settings.h"

#include <gtest/gtest.h>

namespace sealpost::engine {
namespace {

using namespace test;

class HarvesterTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};
    std::vector<crypto::Identity> m_keys;
    std::vector<crypto::Certificate> m_anchors{loadCertificate("root-ca.cert.pem")};

    MessageHarvest harvest(std::string message) {
        Harvester harvester(m_db, m_clock, {.identities = m_keys, .trustAnchors = m_anchors, .limits = {}});
        auto result = harvester.harvest(std::move(message));
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
        return result.ok() ? std::move(*result) : MessageHarvest{};
    }

    std::vector<store::StoredCorrespondentCert> stored(const std::string& address) {
        auto list = store::CorrespondentStore(m_db, m_clock).list(address);
        EXPECT_TRUE(list.ok());
        return list.ok() ? *list : std::vector<store::StoredCorrespondentCert>{};
    }
};

TEST_F(HarvesterTest, GoodSignatureKeepsTheSignersCertificateWithProvenance) {
    const MessageHarvest h = harvest(readData("signed-detached.eml"));
    ASSERT_EQ(h.verdict, HarvestVerdict::Harvested) << h.detail;
    EXPECT_EQ(h.from, "alice@example.org");
    EXPECT_EQ(h.messageId, "<signed-detached@sealpost.test>");
    const crypto::Certificate alice = loadCertificate("alice.cert.pem");
    ASSERT_EQ(h.learned.size(), 1u);
    EXPECT_EQ(h.learned[0].fingerprint, alice.sha256Fingerprint());
    EXPECT_EQ(h.learned[0].source, CertificateSource::Signer);
    EXPECT_EQ(h.learned[0].action, store::UpsertAction::Inserted);

    const auto rows = stored("alice@example.org");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].provenance.kind, store::ProvenanceKind::Harvested);
    EXPECT_EQ(rows[0].provenance.detail, "<signed-detached@sealpost.test>");
    ASSERT_TRUE(rows[0].signingTime.has_value());
    EXPECT_EQ(rows[0].firstSeen, *rows[0].signingTime) << "seen when it was signed";
    ASSERT_TRUE(rows[0].capabilities.has_value()) << "the fixture signer announces SMIMECapabilities";
    EXPECT_FALSE(rows[0].capabilities->empty());
    EXPECT_EQ(certRowCount(m_db), 1);
}

TEST_F(HarvesterTest, HarvestingTheSameMessageAgainChangesNothing) {
    ASSERT_EQ(harvest(readData("signed-detached.eml")).verdict, HarvestVerdict::Harvested);
    const auto before = stored("alice@example.org");
    m_clock = base::FixedClock(checkTime() + std::chrono::hours(24 * 30)); // a month later
    const MessageHarvest again = harvest(readData("signed-detached.eml"));
    ASSERT_EQ(again.learned.size(), 1u);
    EXPECT_EQ(again.learned[0].action, store::UpsertAction::TouchedLastSeen);
    const auto after = stored("alice@example.org");
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].firstSeen, before[0].firstSeen);
    EXPECT_EQ(after[0].lastSeen, before[0].lastSeen);
    EXPECT_EQ(after[0].signingTime, before[0].signingTime);
}

TEST_F(HarvesterTest, HarvestedCertificateIsQueuedForTheDirectoryWithItsIntermediate) {
    ASSERT_EQ(harvest(readData("signed-detached.eml")).verdict, HarvestVerdict::Harvested);
    const crypto::Certificate alice = loadCertificate("alice.cert.pem");
    auto entry = store::DirectoryUploadQueue(m_db).find(alice.sha256Fingerprint());
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ((*entry)->provenance, store::UploadProvenance::Harvested);
    EXPECT_EQ((*entry)->state, store::UploadState::Queued);
    ASSERT_EQ((*entry)->chain.size(), 2u) << "the leaf and the intermediate, not the root";
    EXPECT_EQ((*entry)->chain[0], alice);
    EXPECT_EQ((*entry)->chain[1], loadCertificate("intermediate-ca.cert.pem"));
}

TEST_F(HarvesterTest, NothingIsQueuedWhenPublishingIsOff) {
    ASSERT_TRUE(store::Settings(m_db).set(store::kDirectoryPublishHarvestedKey, "off").ok());
    ASSERT_EQ(harvest(readData("signed-detached.eml")).verdict, HarvestVerdict::Harvested);
    EXPECT_EQ(store::DirectoryUploadQueue(m_db).counts()->queued, 0);
    EXPECT_EQ(certRowCount(m_db), 1);
}

struct Rejected {
    const char* file;
    HarvestVerdict verdict;
};

class HarvesterRejects : public HarvesterTest, public ::testing::WithParamInterface<Rejected> {};

TEST_P(HarvesterRejects, NothingIsStored) {
    const MessageHarvest h = harvest(readData(GetParam().file));
    EXPECT_EQ(h.verdict, GetParam().verdict) << harvestVerdictName(h.verdict) << ": " << h.detail;
    EXPECT_TRUE(h.learned.empty());
    EXPECT_EQ(certRowCount(m_db), 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HarvesterRejects,
                         ::testing::Values(Rejected{"plain.eml", HarvestVerdict::NotSigned},
                                           Rejected{"signed-tampered.eml", HarvestVerdict::SignatureNotGood},
                                           Rejected{"signed-untrusted.eml", HarvestVerdict::SignatureNotGood},
                                           Rejected{"signed-expired.eml", HarvestVerdict::SignatureNotGood},
                                           Rejected{"signed-noemail-usage.eml", HarvestVerdict::SignatureNotGood},
                                           Rejected{"signed-from-mismatch.eml", HarvestVerdict::SignerNotFrom},
                                           Rejected{"signed-partial.eml", HarvestVerdict::SignatureNotCovering},
                                           Rejected{"signed-three-parts.eml", HarvestVerdict::NotSigned},
                                           Rejected{"encrypted-cbc-bob.eml", HarvestVerdict::NotDecrypted},
                                           Rejected{"signed-then-encrypted.eml", HarvestVerdict::NotDecrypted},
                                           Rejected{"encrypted-gcm-alice.eml", HarvestVerdict::NotDecrypted}),
                         [](const ::testing::TestParamInfo<Rejected>& param) {
                             std::string name = param.param.file;
                             for (char& c : name) {
                                 if (c == '-' || c == '.') {
                                     c = '_';
                                 }
                             }
                             return name;
                         });

TEST_F(HarvesterTest, SignatureInsideEncryptionCountsOnceDecrypted) {
    m_keys.push_back(loadIdentity("bob"));
    const MessageHarvest h = harvest(readData("signed-then-encrypted.eml"));
    ASSERT_EQ(h.verdict, HarvestVerdict::Harvested) << h.detail;
    EXPECT_EQ(stored("alice@example.org").size(), 1u);
}

TEST_F(HarvesterTest, OwnCertificateIsNotLearnedFromOwnMail) {
    m_keys.push_back(loadIdentity("alice")); // alice reads her own Sent copy
    const MessageHarvest h = harvest(readData("signed-detached.eml"));
    EXPECT_EQ(h.verdict, HarvestVerdict::NothingToLearn);
    EXPECT_EQ(h.detail, "one of this profile's own certificates");
    ASSERT_EQ(h.ignored.size(), 1u);
    EXPECT_EQ(h.ignored[0].fingerprint, loadCertificate("alice.cert.pem").sha256Fingerprint());
    EXPECT_EQ(certRowCount(m_db), 0);
    EXPECT_EQ(store::DirectoryUploadQueue(m_db).counts()->queued, 0) << "nothing to publish either";

    m_keys = {loadIdentity("bob")}; // anyone else's profile learns it
    EXPECT_EQ(harvest(readData("signed-detached.eml")).verdict, HarvestVerdict::Harvested);
}

TEST_F(HarvesterTest, NoTrustAnchorsNoHarvest) {
    m_anchors.clear();
    EXPECT_EQ(harvest(readData("signed-detached.eml")).verdict, HarvestVerdict::SignatureNotGood);
    EXPECT_EQ(certRowCount(m_db), 0);
}

TEST_F(HarvesterTest, EncryptionKeyPreferenceCertificateIsKeptInsteadOfTheSigners) {
    const crypto::Certificate encryption = issueFromIntermediate("alice@example.org", "keyEncipherment");
    const std::string message =
        signedMessage(plainMessage("Alice <alice@example.org>", "<pref@test>"), loadIdentity("alice"), encryption);
    const MessageHarvest h = harvest(message);
    ASSERT_EQ(h.verdict, HarvestVerdict::Harvested) << h.detail;
    ASSERT_EQ(h.learned.size(), 1u);
    EXPECT_EQ(h.learned[0].fingerprint, encryption.sha256Fingerprint());
    EXPECT_EQ(h.learned[0].source, CertificateSource::EncryptionKeyPreference);
    const auto rows = stored("alice@example.org");
    ASSERT_EQ(rows.size(), 1u) << "the signing certificate is not kept when another is preferred";
    EXPECT_TRUE(rows[0].encryptionKeyPreference);
}

TEST_F(HarvesterTest, PreferredCertificateThatDoesNotValidateIsIgnored) {
    // Names someone else: the signer cannot make us encrypt Bob's mail to a key of its choosing.
    const crypto::Certificate notAlice = issueFromIntermediate("bob@example.org", "keyEncipherment");
    const MessageHarvest h =
        harvest(signedMessage(plainMessage("alice@example.org", "<pref-bob@test>"), loadIdentity("alice"), notAlice));
    ASSERT_EQ(h.verdict, HarvestVerdict::Harvested) << h.detail;
    ASSERT_EQ(h.ignored.size(), 1u);
    EXPECT_EQ(h.ignored[0].fingerprint, notAlice.sha256Fingerprint());
    EXPECT_EQ(h.ignored[0].reason, "does not name the From address");
    ASSERT_EQ(h.learned.size(), 1u);
    EXPECT_EQ(h.learned[0].fingerprint, loadCertificate("alice.cert.pem").sha256Fingerprint());
    EXPECT_TRUE(stored("bob@example.org").empty());

    // Signing-only key usage: not fit for encryption.
    const crypto::Certificate signingOnly = issueFromIntermediate("alice@example.org", "digitalSignature");
    const MessageHarvest h2 =
        harvest(signedMessage(plainMessage("alice@example.org", "<pref-ku@test>"), loadIdentity("alice"), signingOnly));
    ASSERT_EQ(h2.ignored.size(), 1u);
    EXPECT_EQ(h2.ignored[0].reason, "its key usage does not allow encryption");
}

std::string withCertsOnlyPart(const std::string& from, const std::string& messageId, base::ByteView p7c) {
    return "From: " + from + "\r\nTo: bob@example.org\r\nSubject: my certificates\r\nMessage-ID: " + messageId +
           "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain\r\n\r\nMy certificates.\r\n"
           "--b1\r\nContent-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" +
           mime::encodeBase64(p7c) + "\r\n--b1--\r\n";
}

TEST_F(HarvesterTest, CertsOnlyPartOfAGoodMessageIsHarvestedForTheFromAddress) {
    // certs-only.p7c holds Alice's certificate and the intermediate.
    const std::string p7c = readData("certs-only.p7c");
    const MessageHarvest h = harvest(signedMessage(
        withCertsOnlyPart("alice@example.org", "<certs@test>", base::asBytes(p7c)), loadIdentity("carol")));
    EXPECT_EQ(h.verdict, HarvestVerdict::SignerNotFrom) << "carol signed a message From alice";
    EXPECT_EQ(certRowCount(m_db), 0);

    const MessageHarvest good = harvest(signedMessage(
        withCertsOnlyPart("carol@example.org", "<certs2@test>", base::asBytes(p7c)), loadIdentity("carol")));
    ASSERT_EQ(good.verdict, HarvestVerdict::Harvested) << good.detail;
    ASSERT_EQ(good.learned.size(), 1u) << "only carol's own certificate";
    ASSERT_EQ(good.ignored.size(), 1u);
    EXPECT_EQ(good.ignored[0].source, CertificateSource::CertsOnly);
    EXPECT_EQ(good.ignored[0].reason, "does not name the From address");
    EXPECT_TRUE(stored("alice@example.org").empty());
}

TEST_F(HarvesterTest, CertsOnlyCertificateForTheSenderIsKeptBesideTheSigners) {
    // Alice signs with a signing-only certificate and attaches her encryption-capable one
    // (the fixture certificate) as certs-only.
    const crypto::Identity signing = issueIdentity("alice@example.org", "digitalSignature");
    const std::string p7c = readData("certs-only.p7c");
    const MessageHarvest h =
        harvest(signedMessage(withCertsOnlyPart("alice@example.org", "<certs3@test>", base::asBytes(p7c)), signing));
    ASSERT_EQ(h.verdict, HarvestVerdict::Harvested) << h.detail;
    ASSERT_EQ(h.learned.size(), 2u);
    EXPECT_EQ(h.learned[0].fingerprint, signing.certificate.sha256Fingerprint());
    EXPECT_EQ(h.learned[0].source, CertificateSource::Signer);
    EXPECT_EQ(h.learned[1].fingerprint, loadCertificate("alice.cert.pem").sha256Fingerprint());
    EXPECT_EQ(h.learned[1].source, CertificateSource::CertsOnly);
    EXPECT_EQ(stored("alice@example.org").size(), 2u);

    // The same certificate as signer and in certs-only is kept once.
    const MessageHarvest once = harvest(signedMessage(
        withCertsOnlyPart("alice@example.org", "<certs5@test>", base::asBytes(p7c)), loadIdentity("alice")));
    ASSERT_EQ(once.learned.size(), 1u);
    EXPECT_EQ(once.learned[0].source, CertificateSource::Signer);
}

TEST_F(HarvesterTest, CertsOnlyInAnUnsignedMessageIsNotHarvested) {
    const std::string p7c = readData("certs-only.p7c");
    const MessageHarvest h = harvest(withCertsOnlyPart("alice@example.org", "<certs4@test>", base::asBytes(p7c)));
    EXPECT_EQ(h.verdict, HarvestVerdict::NotSigned);
    EXPECT_EQ(certRowCount(m_db), 0);
}

TEST_F(HarvesterTest, UnreadableMessageIsAVerdictNotAnError) {
    const MessageHarvest h = harvest("From: a@example.org\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n");
    EXPECT_EQ(h.verdict, HarvestVerdict::Unreadable);
    EXPECT_FALSE(h.detail.empty());
}

} // namespace
} // namespace sealpost::engine
