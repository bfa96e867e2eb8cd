#include "store/AcmeStore.h"

#include "StoreTestSupport.h"
#include "base/SecureBuffer.h"
#include "store/IdentityStore.h"
#include "store/ProfileCheck.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;

namespace {

using std::chrono::hours;
using std::chrono::seconds;

const char* const kDirectory = "https://ca.example/directory";

std::string dataFile(const std::string& name) {
    return test::readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
}

crypto::PrivateKey keyOf(const std::string& who) {
    auto key = crypto::PrivateKey::parse(base::asBytes(dataFile(who + ".key.pem")));
    EXPECT_TRUE(key.ok());
    return *key;
}

crypto::Identity identityOf(const std::string& who) {
    auto cert = crypto::Certificate::parseAll(base::asBytes(dataFile(who + ".cert.pem")));
    EXPECT_TRUE(cert.ok());
    return crypto::Identity{keyOf(who), cert->front(), {}};
}

base::Bytes derOf(const crypto::PrivateKey& key) {
    auto der = key.pkcs8Der();
    EXPECT_TRUE(der.ok());
    return *der;
}

class AcmeStoreTest : public ::testing::Test {
protected:
    std::int64_t addIdentity(const std::string& who) {
        auto id = IdentityStore(m_db, m_clock).add(identityOf(who), IdentityRole::Both);
        EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().detail);
        return id.ok() ? *id : 0;
    }

    RenewalRecord enrolled(std::int64_t identityId) {
        RenewalRecord r;
        r.identityId = identityId;
        r.directoryUrl = kDirectory;
        return r;
    }

    test::TempDir m_dir;
    std::filesystem::path m_file = m_dir.path() / "profile.db";
    base::FixedClock m_clock{std::chrono::system_clock::from_time_t(1780272000)};
    Database m_db = test::openOrFail(m_file, "pass");
    AcmeStore m_store{m_db, m_clock};
};

TEST_F(AcmeStoreTest, AccountRoundTripsAndIsFoundByDirectoryAndAddress) {
    const crypto::PrivateKey key = keyOf("bob");
    auto id = m_store.addAccount({kDirectory, "Alice@Example.org", "https://ca.example/acme/acct/1", key});
    ASSERT_TRUE(id.ok()) << id.error().detail;

    auto found = m_store.findAccount(kDirectory, "ALICE@example.org");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    const AcmeAccount& account = **found;
    EXPECT_EQ(account.id, *id);
    EXPECT_EQ(account.directoryUrl, kDirectory);
    EXPECT_EQ(account.address, "alice@example.org");
    EXPECT_EQ(account.accountUrl, "https://ca.example/acme/acct/1");
    EXPECT_EQ(derOf(account.key), derOf(key));
    EXPECT_EQ(account.createdAt, m_clock.now());

    auto elsewhere = m_store.findAccount("https://other.example/directory", "alice@example.org");
    ASSERT_TRUE(elsewhere.ok());
    EXPECT_FALSE(elsewhere->has_value());
    auto otherAddress = m_store.findAccount(kDirectory, "bob@example.org");
    ASSERT_TRUE(otherAddress.ok());
    EXPECT_FALSE(otherAddress->has_value());
}

TEST_F(AcmeStoreTest, OneAccountPerDirectoryAndAddress) {
    ASSERT_TRUE(m_store.addAccount({kDirectory, "alice@example.org", "https://ca.example/acme/acct/1", keyOf("bob")}));
    auto again = m_store.addAccount({kDirectory, "ALICE@example.org", "https://ca.example/acme/acct/2", keyOf("bob")});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_TRUE(m_store.addAccount(
        {"https://other.example/directory", "alice@example.org", "https://other.example/acct/9", keyOf("bob")}));
    auto empty = m_store.addAccount({kDirectory, "carol@example.org", "", keyOf("bob")});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(AcmeStoreTest, AccountKeyIsReplacedAndTheAccountRemoved) {
    auto id = m_store.addAccount({kDirectory, "alice@example.org", "https://ca.example/acme/acct/1", keyOf("bob")});
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(m_store.replaceAccountKey(*id, keyOf("carol")).ok());
    auto found = m_store.findAccount(kDirectory, "alice@example.org");
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ(derOf((*found)->key), derOf(keyOf("carol")));

    auto missing = m_store.replaceAccountKey(*id + 100, keyOf("carol"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, base::ErrorCode::NotFound);

    auto removed = m_store.removeAccount(*id);
    ASSERT_TRUE(removed.ok());
    EXPECT_TRUE(*removed);
    auto again = m_store.removeAccount(*id);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
    found = m_store.findAccount(kDirectory, "alice@example.org");
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
}

TEST_F(AcmeStoreTest, AccountKeyIsNotInTheFileInTheClear) {
    const crypto::PrivateKey key = keyOf("bob");
    ASSERT_TRUE(m_store.addAccount({kDirectory, "alice@example.org", "https://ca.example/acme/acct/1", key}));
    ASSERT_TRUE(m_db.exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    const base::Bytes der = derOf(key);
    const std::string file = test::readFile(m_file);
    const std::string needle(der.begin() + 16, der.begin() + 48); // a stretch of the key material
    EXPECT_EQ(file.find(needle), std::string::npos);
    EXPECT_EQ(file.find("acct/1"), std::string::npos);
}

TEST_F(AcmeStoreTest, RenewalRecordRoundTripsEveryField) {
    const std::int64_t old = addIdentity("alice");
    const std::int64_t next = addIdentity("bob");
    const base::TimePoint t = m_clock.now();
    RenewalRecord r = enrolled(old);
    r.caHasAri = true;
    r.ariCertId = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
    r.nextCheck = t + hours(6);
    r.renewAt = t + hours(24 * 60);
    r.ariWindow = AriWindowTimes{t + hours(24 * 59), t + hours(24 * 61)};
    r.ariExplanationUrl = "https://ca.example/why";
    r.ariCheckedAt = t;
    r.consecutiveFailures = 2;
    r.lastFailure = RenewalFailure{t - hours(1), AcmeStep::Challenge, "no reply within 24 hours"};
    r.lastSuccessAt = t - hours(48);
    r.replacedBy = next;
    ASSERT_TRUE(m_store.saveRenewal(r).ok());

    auto found = m_store.findRenewal(old);
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    const RenewalRecord& g = **found;
    EXPECT_EQ(g.identityId, old);
    EXPECT_EQ(g.directoryUrl, kDirectory);
    EXPECT_TRUE(g.caHasAri);
    EXPECT_EQ(g.ariCertId, r.ariCertId);
    EXPECT_EQ(g.nextCheck, r.nextCheck);
    EXPECT_EQ(g.renewAt, r.renewAt);
    ASSERT_TRUE(g.ariWindow.has_value());
    EXPECT_EQ(g.ariWindow->start, r.ariWindow->start);
    EXPECT_EQ(g.ariWindow->end, r.ariWindow->end);
    EXPECT_EQ(g.ariExplanationUrl, r.ariExplanationUrl);
    EXPECT_EQ(g.ariCheckedAt, t);
    EXPECT_EQ(g.consecutiveFailures, 2);
    ASSERT_TRUE(g.lastFailure.has_value());
    EXPECT_EQ(g.lastFailure->at, t - hours(1));
    EXPECT_EQ(g.lastFailure->step, AcmeStep::Challenge);
    EXPECT_EQ(g.lastFailure->message, "no reply within 24 hours");
    EXPECT_EQ(g.lastSuccessAt, t - hours(48));
    EXPECT_EQ(g.replacedBy, next);

    // Saving again overwrites: a minimal record clears what it leaves out.
    ASSERT_TRUE(m_store.saveRenewal(enrolled(old)).ok());
    found = m_store.findRenewal(old);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_FALSE((*found)->caHasAri);
    EXPECT_FALSE((*found)->ariWindow.has_value());
    EXPECT_FALSE((*found)->lastFailure.has_value());
    EXPECT_FALSE((*found)->replacedBy.has_value());
    EXPECT_EQ((*found)->consecutiveFailures, 0);
}

TEST_F(AcmeStoreTest, RenewalNeedsAnExistingIdentityAndAValidWindow) {
    auto orphan = m_store.saveRenewal(enrolled(4242));
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().code, base::ErrorCode::NotFound);

    const std::int64_t id = addIdentity("alice");
    RenewalRecord r = enrolled(id);
    r.replacedBy = 4242;
    auto badReplacement = m_store.saveRenewal(r);
    ASSERT_FALSE(badReplacement.ok());
    EXPECT_EQ(badReplacement.error().code, base::ErrorCode::NotFound);

    r = enrolled(id);
    r.ariWindow = AriWindowTimes{m_clock.now(), m_clock.now()};
    auto badWindow = m_store.saveRenewal(r);
    ASSERT_FALSE(badWindow.ok());
    EXPECT_EQ(badWindow.error().code, base::ErrorCode::InvalidArgument);

    r = enrolled(id);
    r.directoryUrl.clear();
    EXPECT_FALSE(m_store.saveRenewal(r).ok());

    auto none = m_store.findRenewal(id);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

TEST_F(AcmeStoreTest, FailuresCountUpAndASuccessResetsTheCount) {
    const std::int64_t id = addIdentity("alice");
    ASSERT_TRUE(m_store.saveRenewal(enrolled(id)).ok());
    auto first = m_store.recordFailure(id, AcmeStep::Ari, "connection refused");
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(*first, 1);
    auto second = m_store.recordFailure(id, AcmeStep::Order, "rateLimited");
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(*second, 2);
    auto found = m_store.findRenewal(id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->consecutiveFailures, 2);
    ASSERT_TRUE((*found)->lastFailure.has_value());
    EXPECT_EQ((*found)->lastFailure->step, AcmeStep::Order);
    EXPECT_EQ((*found)->lastFailure->message, "rateLimited");
    EXPECT_EQ((*found)->lastFailure->at, m_clock.now());
    EXPECT_FALSE((*found)->lastSuccessAt.has_value());

    ASSERT_TRUE(m_store.recordSuccess(id).ok());
    found = m_store.findRenewal(id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->consecutiveFailures, 0);
    EXPECT_EQ((*found)->lastSuccessAt, m_clock.now());
    ASSERT_TRUE((*found)->lastFailure.has_value()) << "the last failure stays on record";
    EXPECT_EQ((*found)->lastFailure->message, "rateLimited");
}

TEST_F(AcmeStoreTest, LongFailureMessagesAreCut) {
    const std::int64_t id = addIdentity("alice");
    ASSERT_TRUE(m_store.saveRenewal(enrolled(id)).ok());
    ASSERT_TRUE(m_store.recordFailure(id, AcmeStep::Download, std::string(1999, 'x') + "\xC3\xA9tail").ok());
    auto found = m_store.findRenewal(id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->lastFailure->message, std::string(1999, 'x')) << "cut before the two-byte character";
}

TEST_F(AcmeStoreTest, UpdatesWithoutARecordAreNotFound) {
    const std::int64_t id = addIdentity("alice");
    auto failure = m_store.recordFailure(id, AcmeStep::Order, "x");
    ASSERT_FALSE(failure.ok());
    EXPECT_EQ(failure.error().code, base::ErrorCode::NotFound);
    auto success = m_store.recordSuccess(id);
    ASSERT_FALSE(success.ok());
    EXPECT_EQ(success.error().code, base::ErrorCode::NotFound);
    auto replaced = m_store.markReplaced(id, id);
    ASSERT_FALSE(replaced.ok());
    EXPECT_EQ(replaced.error().code, base::ErrorCode::NotFound);
}

TEST_F(AcmeStoreTest, MarkReplacedNamesTheNewGeneration) {
    const std::int64_t old = addIdentity("alice");
    const std::int64_t next = addIdentity("bob");
    ASSERT_TRUE(m_store.saveRenewal(enrolled(old)).ok());
    auto unknown = m_store.markReplaced(old, next + 100);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, base::ErrorCode::NotFound);
    ASSERT_TRUE(m_store.markReplaced(old, next).ok());
    auto all = m_store.renewals();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1U);
    EXPECT_EQ(all->front().replacedBy, next);
}

TEST_F(AcmeStoreTest, StepNamesRoundTrip) {
    for (const AcmeStep step : {AcmeStep::Account, AcmeStep::Ari, AcmeStep::Order, AcmeStep::Challenge,
                                AcmeStep::Finalize, AcmeStep::Download, AcmeStep::Store}) {
        EXPECT_EQ(parseAcmeStep(acmeStepName(step)), step) << acmeStepName(step);
    }
    EXPECT_EQ(acmeStepName(AcmeStep::Ari), "ari");
    EXPECT_FALSE(parseAcmeStep("reply").has_value());
}

TEST_F(AcmeStoreTest, ProfileCheckCountsAndDigestsTheAcmeTables) {
    auto before = checkProfile(m_db);
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->acmeAccounts, 0);
    EXPECT_EQ(before->renewalRecords, 0);
    const std::int64_t id = addIdentity("alice");
    ASSERT_TRUE(m_store.addAccount({kDirectory, "alice@example.org", "https://ca.example/acme/acct/1", keyOf("bob")}));
    ASSERT_TRUE(m_store.saveRenewal(enrolled(id)).ok());
    auto enrolledCheck = checkProfile(m_db);
    ASSERT_TRUE(enrolledCheck.ok());
    EXPECT_EQ(enrolledCheck->acmeAccounts, 1);
    EXPECT_EQ(enrolledCheck->renewalRecords, 1);
    ASSERT_TRUE(m_store.recordFailure(id, AcmeStep::Order, "x").ok());
    auto failed = checkProfile(m_db);
    ASSERT_TRUE(failed.ok());
    EXPECT_NE(failed->contentSha256, enrolledCheck->contentSha256) << "renewal state is part of the digest";
}

} // namespace
