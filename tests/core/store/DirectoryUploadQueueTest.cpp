#include "store/DirectoryUploadQueue.h"

#include "StoreTestSupport.h"
#include "crypto/PrivateKey.h"
#include "store/IdentityStore.h"

#include <chrono>
#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;
using namespace std::chrono_literals;

namespace {

const base::TimePoint kNow = std::chrono::system_clock::from_time_t(1780272000);

std::string dataFile(const std::string& name) {
    return test::readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
}

crypto::Certificate cert(const std::string& name) {
    auto certs = crypto::Certificate::parseAll(base::asBytes(dataFile(name)));
    EXPECT_TRUE(certs.ok());
    return certs->front();
}

class DirectoryUploadQueueTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    Database m_db = test::openOrFail(m_dir.path() / "profile.db", "pass");
    crypto::Certificate m_alice = cert("alice.cert.pem");
    crypto::Certificate m_bob = cert("bob.cert.pem");
    crypto::Certificate m_intermediate = cert("intermediate-ca.cert.pem");
};

} // namespace

TEST_F(DirectoryUploadQueueTest, EnqueueKeepsChainAndIsIdempotentByFingerprint) {
    DirectoryUploadQueue queue(m_db);
    const std::vector<crypto::Certificate> chain{m_intermediate};
    auto first = queue.enqueue(m_alice, chain, UploadProvenance::Harvested, kNow);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(*first);
    auto second = queue.enqueue(m_alice, {}, UploadProvenance::Self, kNow + 1h);
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(*second);
    auto all = queue.list();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1U);
    const UploadEntry& e = all->front();
    EXPECT_EQ(e.fingerprint, m_alice.sha256Fingerprint());
    ASSERT_EQ(e.chain.size(), 2U);
    EXPECT_EQ(e.chain[0], m_alice);
    EXPECT_EQ(e.chain[1], m_intermediate);
    EXPECT_EQ(e.provenance, UploadProvenance::Harvested);
    EXPECT_EQ(e.state, UploadState::Queued);
    EXPECT_EQ(e.attempts, 0);
    EXPECT_EQ(e.nextAttempt, kNow);
}

TEST_F(DirectoryUploadQueueTest, DueHonoursNextAttemptAndState) {
    DirectoryUploadQueue queue(m_db);
    ASSERT_TRUE(queue.enqueue(m_alice, {}, UploadProvenance::Harvested, kNow).ok());
    ASSERT_TRUE(queue.enqueue(m_bob, {}, UploadProvenance::Self, kNow).ok());
    auto due = queue.due(kNow, 10);
    ASSERT_TRUE(due.ok());
    ASSERT_EQ(due->size(), 2U);
    ASSERT_TRUE(queue.markFailed(due->at(0).id, "unreachable", kNow + 1min).ok());
    ASSERT_TRUE(queue.markDone(due->at(1).id).ok());

    auto now = queue.due(kNow, 10);
    ASSERT_TRUE(now.ok());
    EXPECT_TRUE(now->empty());
    auto later = queue.due(kNow + 1min, 10);
    ASSERT_TRUE(later.ok());
    ASSERT_EQ(later->size(), 1U);
    EXPECT_EQ(later->front().attempts, 1);
    EXPECT_EQ(later->front().lastError, "unreachable");
    auto forced = queue.due(std::nullopt, 10);
    ASSERT_TRUE(forced.ok());
    EXPECT_EQ(forced->size(), 1U);
    auto limited = queue.due(std::nullopt, 0);
    ASSERT_TRUE(limited.ok());
    EXPECT_TRUE(limited->empty());
}

TEST_F(DirectoryUploadQueueTest, RejectedIsFinalWithReason) {
    DirectoryUploadQueue queue(m_db);
    ASSERT_TRUE(queue.enqueue(m_alice, {}, UploadProvenance::Harvested, kNow).ok());
    const auto id = queue.list()->front().id;
    ASSERT_TRUE(queue.markRejected(id, "untrusted", "unable to get local issuer certificate").ok());
    // A late failure report must not bring a rejected entry back.
    ASSERT_TRUE(queue.markFailed(id, "timeout", kNow).ok());
    auto entry = queue.find(m_alice.sha256Fingerprint());
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ((*entry)->state, UploadState::Rejected);
    EXPECT_EQ((*entry)->rejectionReason, "untrusted");
    EXPECT_EQ((*entry)->lastError, "unable to get local issuer certificate");
    EXPECT_TRUE(queue.due(std::nullopt, 10)->empty());
    auto counts = queue.counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->queued, 0);
    EXPECT_EQ(counts->rejected, 1);
    EXPECT_EQ(counts->done, 0);
}

TEST_F(DirectoryUploadQueueTest, ImportedEncryptionIdentityIsQueuedAsSelf) {
    auto key = crypto::PrivateKey::parse(base::asBytes(dataFile("alice.key.pem")));
    ASSERT_TRUE(key.ok());
    const crypto::Identity alice{*key, m_alice, {m_intermediate}};
    base::FixedClock clock(kNow);
    ASSERT_TRUE(IdentityStore(m_db, clock).add(alice, IdentityRole::Both).ok());
    auto entry = DirectoryUploadQueue(m_db).find(m_alice.sha256Fingerprint());
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ((*entry)->provenance, UploadProvenance::Self);
    EXPECT_EQ((*entry)->chain.size(), 2U);
}

TEST_F(DirectoryUploadQueueTest, SigningOnlyIdentityIsNotQueued) {
    auto key = crypto::PrivateKey::parse(base::asBytes(dataFile("alice.key.pem")));
    ASSERT_TRUE(key.ok());
    base::FixedClock clock(kNow);
    ASSERT_TRUE(IdentityStore(m_db, clock).add({*key, m_alice, {}}, IdentityRole::Signing).ok());
    EXPECT_EQ(DirectoryUploadQueue(m_db).counts()->queued, 0);
}
