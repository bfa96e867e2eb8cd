#include "store/DirectoryCache.h"

#include "StoreTestSupport.h"

#include <chrono>
#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;
using namespace std::chrono_literals;

namespace {

const base::TimePoint kNow = std::chrono::system_clock::from_time_t(1780272000);
constexpr const char* kAliceHash = "7a64adf28737ea90719cbdf0b1a87a5effff3753b79c91d717f4f4153ead0498";

class DirectoryCacheTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    Database m_db = test::openOrFail(m_dir.path() / "profile.db", "pass");
};

} // namespace

TEST_F(DirectoryCacheTest, MissIsNullopt) {
    auto entry = DirectoryCache(m_db).get(kAliceHash);
    ASSERT_TRUE(entry.ok());
    EXPECT_FALSE(entry->has_value());
}

TEST_F(DirectoryCacheTest, StoresAndReplacesPerAddressHash) {
    DirectoryCache cache(m_db);
    ASSERT_TRUE(cache.put({kAliceHash, "alice@example.org", kNow, kNow + 1h, false}).ok());
    ASSERT_TRUE(cache.put({kAliceHash, "alice@example.org", kNow + 2h, kNow + 26h, true}).ok());
    auto entry = cache.get(kAliceHash);
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_EQ((*entry)->address, "alice@example.org");
    EXPECT_EQ((*entry)->fetchedAt, kNow + 2h);
    EXPECT_EQ((*entry)->expiresAt, kNow + 26h);
    EXPECT_TRUE((*entry)->found);
    EXPECT_EQ(test::queryText(m_db, "SELECT COUNT(*) FROM directory_cache"), "1");
}

TEST_F(DirectoryCacheTest, CountsPositiveAndNegativeAndClears) {
    DirectoryCache cache(m_db);
    ASSERT_TRUE(cache.put({"aa", "a@example.org", kNow, kNow + 1h, true}).ok());
    ASSERT_TRUE(cache.put({"bb", "b@example.org", kNow, kNow + 1h, false}).ok());
    ASSERT_TRUE(cache.put({"cc", "c@example.org", kNow, kNow + 1h, false}).ok());
    auto counts = cache.counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->found, 1);
    EXPECT_EQ(counts->notFound, 2);
    auto cleared = cache.clear();
    ASSERT_TRUE(cleared.ok());
    EXPECT_EQ(*cleared, 3);
    EXPECT_EQ(cache.counts()->found + cache.counts()->notFound, 0);
}

TEST_F(DirectoryCacheTest, StaleEntriesAreStillReturned) {
    DirectoryCache cache(m_db);
    ASSERT_TRUE(cache.put({kAliceHash, "alice@example.org", kNow - 48h, kNow - 24h, true}).ok());
    auto entry = cache.get(kAliceHash);
    ASSERT_TRUE(entry.ok() && entry->has_value());
    EXPECT_LT((*entry)->expiresAt, kNow);
}
