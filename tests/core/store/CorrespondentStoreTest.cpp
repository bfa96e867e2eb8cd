// CorrespondentStore: storing, idempotent refresh, "newer signingTime wins", removal and
// certificate-change events. Fixture certificates: tests/data/README.md.

#include "store/CorrespondentStore.h"

#include "StoreTestSupport.h"
#include "TestCertificates.h"
#include "base/Clock.h"
#include "crypto/Certificate.h"

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

class CorrespondentStoreTest : public ::testing::Test {
protected:
    TempDir m_dir;
    Database m_db = openOrFail(m_dir.path() / "profile.db", "correct horse");
    base::FixedClock m_clock{testNow()};
    CorrespondentStore m_store{m_db, m_clock};

    static CorrespondentCert harvested(const std::string& address, const crypto::Certificate& cert,
                                       base::TimePoint seenAt, std::optional<base::TimePoint> signingTime) {
        return CorrespondentCert{.address = address,
                                 .cert = cert,
                                 .provenance = {ProvenanceKind::Harvested, "<msg@sealpost.test>"},
                                 .seenAt = seenAt,
                                 .signingTime = signingTime,
                                 .capabilities = std::nullopt,
                                 .encryptionKeyPreference = false};
    }

    UpsertOutcome rememberOrFail(const CorrespondentCert& entry) {
        auto outcome = m_store.remember(entry);
        EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().detail);
        return outcome.ok() ? *outcome : UpsertOutcome{};
    }

    std::vector<StoredCorrespondentCert> listOrFail(const std::string& address) {
        auto rows = m_store.list(address);
        EXPECT_TRUE(rows.ok());
        return rows.ok() ? *rows : std::vector<StoredCorrespondentCert>{};
    }

    std::vector<CertEvent> eventsOrFail(const std::string& address) {
        auto rows = m_store.events(address);
        EXPECT_TRUE(rows.ok());
        return rows.ok() ? *rows : std::vector<CertEvent>{};
    }

    // An encryption-capable EC certificate for dora@example.org, valid 2025-2030 unless told.
    static crypto::Certificate doraCert(const TestKey& key, const std::string& issuer = "Generated Test CA",
                                        base::TimePoint notBefore = utc(2025, 1, 1)) {
        return makeCert({.address = "dora@example.org",
                         .key = key,
                         .notBefore = notBefore,
                         .notAfter = utc(2030, 1, 1),
                         .keyUsage = "digitalSignature,keyAgreement",
                         .eku = "emailProtection",
                         .issuerCn = issuer});
    }
};

TEST_F(CorrespondentStoreTest, RemembersAHarvestedCertificate) {
    const auto alice = loadFixture("alice.cert.pem");
    auto entry = harvested("Alice@Example.ORG", alice, utc(2026, 1, 15), utc(2026, 1, 15));
    entry.capabilities = std::vector<ContentCipher>{ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc};
    entry.encryptionKeyPreference = true;

    const auto outcome = rememberOrFail(entry);
    EXPECT_EQ(outcome.action, UpsertAction::Inserted);
    EXPECT_FALSE(outcome.certificateChanged);

    const auto rows = listOrFail("alice@example.org");
    ASSERT_EQ(rows.size(), 1U);
    const auto& row = rows.front();
    EXPECT_EQ(row.address, "alice@example.org"); // normalised
    EXPECT_EQ(row.cert, alice);
    EXPECT_EQ(row.fingerprint, alice.sha256Fingerprint());
    EXPECT_EQ(row.provenance.kind, ProvenanceKind::Harvested);
    EXPECT_EQ(row.provenance.detail, "<msg@sealpost.test>");
    EXPECT_EQ(row.firstSeen, utc(2026, 1, 15));
    EXPECT_EQ(row.lastSeen, utc(2026, 1, 15));
    EXPECT_EQ(row.signingTime, utc(2026, 1, 15));
    EXPECT_EQ(row.capabilities, entry.capabilities);
    EXPECT_TRUE(row.encryptionKeyPreference);
    EXPECT_EQ(queryText(m_db, "SELECT provenance_kind FROM correspondent_certs"), "harvested");

    auto found = m_store.find(alice.sha256Fingerprint());
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->cert, alice);
}

TEST_F(CorrespondentStoreTest, DistinguishesUnannouncedFromEmptyCapabilities) {
    auto alice = harvested("alice@example.org", loadFixture("alice.cert.pem"), testNow(), std::nullopt);
    auto carol = harvested("carol@example.org", loadFixture("carol.cert.pem"), testNow(), std::nullopt);
    carol.capabilities = std::vector<ContentCipher>{};
    rememberOrFail(alice);
    rememberOrFail(carol);
    EXPECT_EQ(listOrFail("alice@example.org").at(0).capabilities, std::nullopt);
    EXPECT_EQ(listOrFail("carol@example.org").at(0).capabilities, std::vector<ContentCipher>{});
}

TEST_F(CorrespondentStoreTest, SameCertificateAgainOnlyMovesLastSeen) {
    const auto alice = loadFixture("alice.cert.pem");
    auto first = harvested("alice@example.org", alice, utc(2026, 1, 15), utc(2026, 1, 15));
    first.capabilities = std::vector<ContentCipher>{ContentCipher::Aes256Cbc};
    rememberOrFail(first);

    auto again = first;
    again.seenAt = utc(2026, 2, 1);
    again.provenance = {ProvenanceKind::Directory, "ldap"};
    again.capabilities = std::vector<ContentCipher>{ContentCipher::Aes256Gcm};
    const auto outcome = rememberOrFail(again);
    EXPECT_EQ(outcome.action, UpsertAction::TouchedLastSeen);
    EXPECT_FALSE(outcome.certificateChanged);

    const auto rows = listOrFail("alice@example.org");
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].firstSeen, utc(2026, 1, 15));
    EXPECT_EQ(rows[0].lastSeen, utc(2026, 2, 1));
    EXPECT_EQ(rows[0].provenance.kind, ProvenanceKind::Harvested); // the first sighting's
    EXPECT_EQ(rows[0].capabilities, first.capabilities);           // same signingTime: not newer
    EXPECT_TRUE(eventsOrFail("alice@example.org").empty());
}

TEST_F(CorrespondentStoreTest, LastSeenNeverMovesBackwards) {
    const auto alice = loadFixture("alice.cert.pem");
    rememberOrFail(harvested("alice@example.org", alice, utc(2026, 3, 1), std::nullopt));
    rememberOrFail(harvested("alice@example.org", alice, utc(2026, 2, 1), std::nullopt));
    EXPECT_EQ(listOrFail("alice@example.org").at(0).lastSeen, utc(2026, 3, 1));
}

TEST_F(CorrespondentStoreTest, NewerSigningTimeWins) {
    const auto alice = loadFixture("alice.cert.pem");
    auto older = harvested("alice@example.org", alice, utc(2026, 1, 10), utc(2026, 1, 10));
    older.capabilities = std::vector<ContentCipher>{ContentCipher::Aes256Cbc};
    auto newer = harvested("alice@example.org", alice, utc(2026, 1, 20), utc(2026, 1, 20));
    newer.capabilities = std::vector<ContentCipher>{ContentCipher::Aes256Gcm, ContentCipher::Aes256Cbc};
    newer.encryptionKeyPreference = true;

    rememberOrFail(older);
    EXPECT_EQ(rememberOrFail(newer).action, UpsertAction::UpdatedAttributes);
    auto row = listOrFail("alice@example.org").at(0);
    EXPECT_EQ(row.signingTime, utc(2026, 1, 20));
    EXPECT_EQ(row.capabilities, newer.capabilities);
    EXPECT_TRUE(row.encryptionKeyPreference);

    // An older message processed later (e.g. a mailbox backfill) does not roll them back.
    older.seenAt = utc(2026, 2, 1);
    EXPECT_EQ(rememberOrFail(older).action, UpsertAction::TouchedLastSeen);
    row = listOrFail("alice@example.org").at(0);
    EXPECT_EQ(row.signingTime, utc(2026, 1, 20));
    EXPECT_EQ(row.capabilities, newer.capabilities);
    EXPECT_EQ(row.lastSeen, utc(2026, 2, 1));

    // A message without signingTime never counts as newer.
    EXPECT_EQ(rememberOrFail(harvested("alice@example.org", alice, utc(2026, 3, 1), std::nullopt)).action,
              UpsertAction::TouchedLastSeen);
}

TEST_F(CorrespondentStoreTest, RefusesAnAddressTheCertificateDoesNotName) {
    const auto alice = loadFixture("alice.cert.pem");
    auto wrong = m_store.remember(harvested("bob@example.org", alice, testNow(), std::nullopt));
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, base::ErrorCode::InvalidArgument);
    auto empty = m_store.remember(harvested("", alice, testNow(), std::nullopt));
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_TRUE(listOrFail("bob@example.org").empty());
}

TEST_F(CorrespondentStoreTest, RemovesByFingerprint) {
    const auto alice = loadFixture("alice.cert.pem");
    rememberOrFail(harvested("alice@example.org", alice, testNow(), std::nullopt));

    auto unknown = m_store.remove(std::string(64, '0'));
    ASSERT_TRUE(unknown.ok());
    EXPECT_FALSE(*unknown);

    auto removed = m_store.remove(alice.sha256Fingerprint());
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(*removed);
    EXPECT_TRUE(listOrFail("alice@example.org").empty());
    auto found = m_store.find(alice.sha256Fingerprint());
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
}

TEST_F(CorrespondentStoreTest, RecordsAChangedKeyBeforeExpiry) {
    const auto original = doraCert(makeKey(false));
    const auto replacement = doraCert(makeKey(false), "Generated Test CA", utc(2026, 5, 1));
    rememberOrFail(harvested("dora@example.org", original, utc(2026, 1, 1), utc(2026, 1, 1)));

    const auto outcome = rememberOrFail(harvested("dora@example.org", replacement, utc(2026, 5, 2), utc(2026, 5, 2)));
    EXPECT_EQ(outcome.action, UpsertAction::Inserted);
    EXPECT_TRUE(outcome.certificateChanged);

    const auto events = eventsOrFail("DORA@example.org");
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].kind, CertEventKind::CertificateChanged);
    EXPECT_EQ(certEventKindName(events[0].kind), "certificate-changed");
    EXPECT_EQ(events[0].address, "dora@example.org");
    EXPECT_EQ(events[0].oldFingerprint, original.sha256Fingerprint());
    EXPECT_EQ(events[0].newFingerprint, replacement.sha256Fingerprint());
    EXPECT_EQ(events[0].at, testNow());                   // the injected clock, not the message time
    EXPECT_EQ(listOrFail("dora@example.org").size(), 2U); // recorded, not refused

    // Seeing either certificate again is not a change.
    EXPECT_FALSE(
        rememberOrFail(harvested("dora@example.org", replacement, testNow(), std::nullopt)).certificateChanged);
    EXPECT_FALSE(rememberOrFail(harvested("dora@example.org", original, testNow(), std::nullopt)).certificateChanged);
    EXPECT_EQ(eventsOrFail("dora@example.org").size(), 1U);
}

TEST_F(CorrespondentStoreTest, RecordsAChangedIssuerWithTheSameKey) {
    const auto key = makeKey(false);
    rememberOrFail(harvested("dora@example.org", doraCert(key), utc(2026, 1, 1), std::nullopt));
    EXPECT_TRUE(rememberOrFail(harvested("dora@example.org", doraCert(key, "Another CA"), testNow(), std::nullopt))
                    .certificateChanged);
}

TEST_F(CorrespondentStoreTest, AReissueWithTheSameKeyAndIssuerIsNoChange) {
    const auto key = makeKey(false);
    rememberOrFail(harvested("dora@example.org", doraCert(key), utc(2026, 1, 1), std::nullopt));
    const auto outcome = rememberOrFail(
        harvested("dora@example.org", doraCert(key, "Generated Test CA", utc(2026, 4, 1)), testNow(), std::nullopt));
    EXPECT_EQ(outcome.action, UpsertAction::Inserted);
    EXPECT_FALSE(outcome.certificateChanged);
    EXPECT_TRUE(eventsOrFail("dora@example.org").empty());
}

TEST_F(CorrespondentStoreTest, ANewKeyAfterExpiryIsNoChange) {
    const auto expired = makeCert({.address = "dora@example.org",
                                   .key = makeKey(false),
                                   .notBefore = utc(2024, 1, 1),
                                   .notAfter = utc(2026, 1, 1),
                                   .keyUsage = "digitalSignature,keyAgreement",
                                   .eku = "emailProtection"});
    rememberOrFail(harvested("dora@example.org", expired, utc(2025, 6, 1), std::nullopt));
    EXPECT_FALSE(rememberOrFail(harvested("dora@example.org", doraCert(makeKey(false)), testNow(), std::nullopt))
                     .certificateChanged);
    EXPECT_TRUE(eventsOrFail("dora@example.org").empty());
}

TEST_F(CorrespondentStoreTest, EventsBelongToTheirAddress) {
    rememberOrFail(harvested("dora@example.org", doraCert(makeKey(false)), utc(2026, 1, 1), std::nullopt));
    rememberOrFail(harvested("dora@example.org", doraCert(makeKey(false)), testNow(), std::nullopt));
    EXPECT_EQ(eventsOrFail("dora@example.org").size(), 1U);
    EXPECT_TRUE(eventsOrFail("alice@example.org").empty());
}

TEST_F(CorrespondentStoreTest, ListsEveryAddressInOrder) {
    const auto carol = loadFixture("carol.cert.pem");
    const auto alice = loadFixture("alice.cert.pem");
    const auto dora = doraCert(makeKey(false));
    rememberOrFail(harvested("carol@example.org", carol, utc(2026, 1, 1), std::nullopt));
    rememberOrFail(harvested("dora@example.org", dora, utc(2026, 1, 2), std::nullopt));
    rememberOrFail(harvested("Alice@Example.org", alice, utc(2026, 1, 3), std::nullopt));
    auto all = m_store.listAll();
    ASSERT_TRUE(all.ok()) << all.error().detail;
    ASSERT_EQ(all->size(), 3U);
    EXPECT_EQ((*all)[0].address, "alice@example.org");
    EXPECT_TRUE((*all)[0].cert == alice);
    EXPECT_EQ((*all)[1].address, "carol@example.org");
    EXPECT_EQ((*all)[2].address, "dora@example.org");
    EXPECT_EQ((*all)[2].fingerprint, dora.sha256Fingerprint());
}

TEST_F(CorrespondentStoreTest, ListsNothingForAnEmptyProfile) {
    auto all = m_store.listAll();
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->empty());
}

TEST_F(CorrespondentStoreTest, FindsByFingerprintPrefix) {
    std::vector<crypto::Certificate> certs;
    for (const char* name : {"alice.cert.pem", "carol.cert.pem", "dave-untrusted.cert.pem"}) {
        certs.push_back(loadFixture(name));
        const auto address = certs.back().emailAddresses().front();
        rememberOrFail(harvested(address, certs.back(), testNow(), std::nullopt));
    }
    for (const auto& cert : certs) {
        const std::string fp = cert.sha256Fingerprint();
        for (const std::string& prefix : {fp, fp.substr(0, 8), fp.substr(0, 12)}) {
            std::string upper = prefix;
            std::transform(upper.begin(), upper.end(), upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            auto found = m_store.findByPrefix(upper);
            ASSERT_TRUE(found.ok()) << found.error().detail;
            ASSERT_EQ(found->size(), 1U) << prefix;
            EXPECT_TRUE(found->front().cert == cert);
        }
        // A one-character prefix finds exactly the certificates starting with it.
        auto some = m_store.findByPrefix(fp.substr(0, 1));
        ASSERT_TRUE(some.ok());
        const auto expected = std::count_if(certs.begin(), certs.end(), [&](const crypto::Certificate& c) {
            return c.sha256Fingerprint().front() == fp.front();
        });
        EXPECT_EQ(static_cast<long>(some->size()), expected);
    }
    auto none = m_store.findByPrefix(std::string(64, '0'));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST_F(CorrespondentStoreTest, PrefixMustBeHex) {
    for (const char* bad : {"", "abc%", "ab_d", "xyz12345"}) {
        auto found = m_store.findByPrefix(bad);
        ASSERT_FALSE(found.ok()) << bad;
        EXPECT_EQ(found.error().code, base::ErrorCode::InvalidArgument);
    }
}

TEST_F(CorrespondentStoreTest, CertificateNamingTwoAddressesIsFiledUnderEach) {
    // makeCert writes "email:" + address into subjectAltName, so this names two addresses.
    const auto both = makeCert({.address = "dora@example.org, email:dora@work.example",
                                .key = makeKey(false),
                                .notBefore = utc(2025, 1, 1),
                                .notAfter = utc(2030, 1, 1),
                                .keyUsage = "digitalSignature,keyAgreement",
                                .eku = "emailProtection"});
    ASSERT_TRUE(both.hasEmailAddress("dora@work.example"));
    EXPECT_EQ(rememberOrFail(harvested("dora@example.org", both, utc(2026, 1, 15), utc(2026, 1, 15))).action,
              UpsertAction::Inserted);
    EXPECT_EQ(rememberOrFail(harvested("dora@work.example", both, utc(2026, 1, 16), utc(2026, 1, 16))).action,
              UpsertAction::Inserted);
    EXPECT_EQ(listOrFail("dora@example.org").size(), 1U);
    EXPECT_EQ(listOrFail("dora@work.example").size(), 1U);
    auto selected = m_store.selectForEncryption("dora@work.example", utc(2026, 6, 1));
    ASSERT_TRUE(selected.ok());
    EXPECT_TRUE(selected->cert.has_value()) << "the second address can be encrypted to";
    auto byPrefix = m_store.findByPrefix(both.sha256Fingerprint().substr(0, 12));
    ASSERT_TRUE(byPrefix.ok());
    EXPECT_EQ(byPrefix->size(), 1U) << "one certificate, not ambiguous";
    auto removed = m_store.remove(both.sha256Fingerprint());
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(*removed);
    EXPECT_TRUE(listOrFail("dora@example.org").empty());
    EXPECT_TRUE(listOrFail("dora@work.example").empty()) << "remove forgets the certificate under every address";
}

} // namespace
} // namespace sealpost::store::test
