// CorrespondentStore::selectForEncryption: which certificate to encrypt to, why, and with which
// bulk cipher. Fixture certificates: tests/data/README.md.

#include "StoreTestSupport.h"
#include "TestCertificates.h"
#include "base/Clock.h"
#include "crypto/Certificate.h"
#include "store/CorrespondentStore.h"

#include <algorithm>
#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::store::test {
namespace {

using crypto::ContentCipher;

// README: "now" = 2026-06-01T00:00:00Z.
base::TimePoint testNow() {
    return std::chrono::system_clock::from_time_t(1780272000);
}

base::TimePoint utc(int year, unsigned month, unsigned day) {
    const std::chrono::sys_days d{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
    return std::chrono::time_point_cast<base::TimePoint::duration>(d);
}

crypto::Certificate loadFixture(const std::string& name) {
    const std::string pem = readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
    auto certs = crypto::Certificate::parseAll(base::asBytes(pem));
    EXPECT_TRUE(certs.ok() && certs->size() == 1) << name;
    return certs->front();
}

class SelectionTest : public ::testing::Test {
protected:
    TempDir m_dir;
    Database m_db = openOrFail(m_dir.path() / "profile.db", "correct horse");
    base::FixedClock m_clock{testNow()};
    CorrespondentStore m_store{m_db, m_clock};

    void remember(const std::string& address, const crypto::Certificate& cert,
                  std::optional<base::TimePoint> signingTime = std::nullopt,
                  std::optional<std::vector<ContentCipher>> capabilities = std::nullopt, bool preferred = false) {
        auto outcome = m_store.remember(CorrespondentCert{.address = address,
                                                          .cert = cert,
                                                          .provenance = {ProvenanceKind::Harvested, ""},
                                                          .seenAt = utc(2026, 1, 15),
                                                          .signingTime = signingTime,
                                                          .capabilities = std::move(capabilities),
                                                          .encryptionKeyPreference = preferred});
        ASSERT_TRUE(outcome.ok()) << outcome.error().detail;
    }

    Selection select(const std::string& address) {
        auto selection = m_store.selectForEncryption(address, testNow());
        EXPECT_TRUE(selection.ok()) << (selection.ok() ? "" : selection.error().detail);
        return selection.ok() ? *selection : Selection{};
    }

    // An encryption-capable EC certificate for dora@example.org.
    static crypto::Certificate doraCert(base::TimePoint notBefore = utc(2025, 1, 1),
                                        base::TimePoint notAfter = utc(2030, 1, 1)) {
        return makeCert({.address = "dora@example.org",
                         .key = makeKey(false),
                         .notBefore = notBefore,
                         .notAfter = notAfter,
                         .keyUsage = "digitalSignature,keyAgreement",
                         .eku = "emailProtection"});
    }
};

TEST_F(SelectionTest, NothingStored) {
    const auto selection = select("nobody@example.org");
    EXPECT_FALSE(selection.cert);
    EXPECT_EQ(selection.reason, SelectionReason::NoCertificate);
    EXPECT_EQ(selectionReasonName(selection.reason), "no-certificate");
}

TEST_F(SelectionTest, RsaCertificateWithUnknownCapabilitiesGetsCbc) {
    const auto alice = loadFixture("alice.cert.pem");
    remember("alice@example.org", alice);
    const auto selection = select("ALICE@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, alice);
    EXPECT_EQ(selection.reason, SelectionReason::OnlyCandidate);
    EXPECT_EQ(selection.cipher, ContentCipher::Aes256Cbc); // never GCM when unknown
}

TEST_F(SelectionTest, GcmOnlyWhenAnnounced) {
    remember("alice@example.org", loadFixture("alice.cert.pem"), utc(2026, 1, 15),
             std::vector<ContentCipher>{ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc});
    remember("carol@example.org", loadFixture("carol.cert.pem"), utc(2026, 1, 15),
             std::vector<ContentCipher>{ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc});
    remember("bob@example.org", loadFixture("bob.cert.pem"), utc(2026, 1, 15), std::vector<ContentCipher>{});
    EXPECT_EQ(select("alice@example.org").cipher, ContentCipher::Aes256Gcm);
    EXPECT_EQ(select("carol@example.org").cipher, ContentCipher::Aes256Cbc); // only AES-128-GCM announced
    EXPECT_EQ(select("bob@example.org").cipher, ContentCipher::Aes256Cbc);   // announced, but nothing we know
}

TEST_F(SelectionTest, EcCertificateWithKeyAgreementIsUsable) {
    const auto bob = loadFixture("bob.cert.pem");
    remember("bob@example.org", bob);
    const auto selection = select("bob@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, bob);
}

TEST_F(SelectionTest, ExpiredCertificateIsSkipped) {
    remember("eve@example.org", loadFixture("eve-expired.cert.pem"));
    const auto selection = select("eve@example.org");
    EXPECT_FALSE(selection.cert);
    EXPECT_EQ(selection.reason, SelectionReason::AllExpired);
    EXPECT_EQ(selectionReasonName(selection.reason), "all-expired");
}

TEST_F(SelectionTest, NotYetValidCertificateIsSkipped) {
    remember("dora@example.org", doraCert(utc(2026, 7, 1), utc(2030, 1, 1)));
    EXPECT_EQ(select("dora@example.org").reason, SelectionReason::AllExpired);
}

TEST_F(SelectionTest, ClientAuthOnlyCertificateIsSkipped) {
    remember("mallory@example.org", loadFixture("mallory-noemail.cert.pem"));
    const auto selection = select("mallory@example.org");
    EXPECT_FALSE(selection.cert);
    EXPECT_EQ(selection.reason, SelectionReason::NoUsableKeyUsage);
}

TEST_F(SelectionTest, KeyUsageMustFitTheKeyType) {
    const auto signingOnlyRsa = makeCert({.address = "dora@example.org",
                                          .key = makeKey(true),
                                          .notBefore = utc(2025, 1, 1),
                                          .notAfter = utc(2030, 1, 1),
                                          .keyUsage = "digitalSignature",
                                          .eku = "emailProtection"});
    // keyEncipherment means nothing for an EC key: ECDH needs keyAgreement.
    const auto ecWithKeyEncipherment = makeCert({.address = "dora@example.org",
                                                 .key = makeKey(false),
                                                 .notBefore = utc(2025, 1, 1),
                                                 .notAfter = utc(2030, 1, 1),
                                                 .keyUsage = "digitalSignature,keyEncipherment",
                                                 .eku = "emailProtection"});
    remember("dora@example.org", signingOnlyRsa);
    remember("dora@example.org", ecWithKeyEncipherment);
    const auto selection = select("dora@example.org");
    EXPECT_FALSE(selection.cert);
    EXPECT_EQ(selection.reason, SelectionReason::NoUsableKeyUsage);
}

TEST_F(SelectionTest, NoExtensionsMeansNoRestriction) {
    const auto bare = makeCert({.address = "dora@example.org",
                                .key = makeKey(false),
                                .notBefore = utc(2025, 1, 1),
                                .notAfter = utc(2030, 1, 1),
                                .keyUsage = "",
                                .eku = ""});
    remember("dora@example.org", bare);
    EXPECT_TRUE(select("dora@example.org").cert);
}

TEST_F(SelectionTest, ValidCertificateWinsOverExpiredOne) {
    const auto expired = doraCert(utc(2024, 1, 1), utc(2026, 1, 1));
    const auto current = doraCert();
    remember("dora@example.org", expired, utc(2025, 12, 1));
    remember("dora@example.org", current, utc(2025, 6, 1));
    const auto selection = select("dora@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, current);
    EXPECT_EQ(selection.reason, SelectionReason::OnlyCandidate);
}

TEST_F(SelectionTest, SenderPreferenceIsHonoured) {
    const auto preferred = doraCert();
    const auto newer = doraCert();
    remember("dora@example.org", preferred, utc(2026, 1, 1), std::nullopt, true);
    remember("dora@example.org", newer, utc(2026, 3, 1), std::vector<ContentCipher>{ContentCipher::Aes256Gcm});
    const auto selection = select("dora@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, preferred);
    EXPECT_EQ(selection.reason, SelectionReason::EncryptionKeyPreference);
    EXPECT_EQ(selection.cipher, ContentCipher::Aes256Cbc); // the chosen certificate's capabilities count
}

TEST_F(SelectionTest, NewestSigningTimeWins) {
    const auto older = doraCert(utc(2025, 6, 1));
    const auto newer = doraCert(utc(2025, 1, 1)); // issued earlier, but seen in a newer message
    remember("dora@example.org", older, utc(2026, 1, 1));
    remember("dora@example.org", newer, utc(2026, 3, 1), std::vector<ContentCipher>{ContentCipher::Aes256Gcm});
    const auto selection = select("dora@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, newer);
    EXPECT_EQ(selection.reason, SelectionReason::NewestSigningTime);
    EXPECT_EQ(selection.cipher, ContentCipher::Aes256Gcm);
}

TEST_F(SelectionTest, NewestNotBeforeBreaksTheTie) {
    const auto earlier = doraCert(utc(2025, 1, 1));
    const auto later = doraCert(utc(2025, 6, 1));
    remember("dora@example.org", later);
    remember("dora@example.org", earlier);
    const auto selection = select("dora@example.org");
    ASSERT_TRUE(selection.cert);
    EXPECT_EQ(selection.cert->cert, later);
    EXPECT_EQ(selection.reason, SelectionReason::NewestNotBefore);
}

TEST_F(SelectionTest, ReasonNamesAreDistinct) {
    const std::vector<SelectionReason> all{SelectionReason::OnlyCandidate,     SelectionReason::EncryptionKeyPreference,
                                           SelectionReason::NewestSigningTime, SelectionReason::NewestNotBefore,
                                           SelectionReason::MostRecentlySeen,  SelectionReason::NoCertificate,
                                           SelectionReason::AllExpired,        SelectionReason::NoUsableKeyUsage};
    std::vector<std::string_view> names;
    for (const auto reason : all) {
        names.push_back(selectionReasonName(reason));
        EXPECT_NE(names.back(), "unknown");
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

} // namespace
} // namespace sealpost::store::test
