#include "keydir/RateLimiter.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::keydir {
namespace {

const base::TimePoint t0 = std::chrono::system_clock::from_time_t(1780272000);

TEST(RateLimiterTest, ParsesRateSlashBurst) {
    const auto limit = parseRateLimit("50/200");
    ASSERT_TRUE(limit);
    EXPECT_EQ(limit->rate, 50);
    EXPECT_EQ(limit->burst, 200);
    EXPECT_TRUE(parseRateLimit("0.5/1"));
    for (const char* bad : {"", "50", "/200", "50/", "0/10", "5/0", "-1/5", "a/b", "5/5x", "nan/5", "inf/5"}) {
        EXPECT_FALSE(parseRateLimit(bad)) << bad;
    }
}

TEST(RateLimiterTest, BurstThenRate) {
    RateLimiter limiter({2, 4});
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(limiter.take("client", 1, t0), 0) << i;
    }
    EXPECT_EQ(limiter.take("client", 1, t0), 1);
    EXPECT_EQ(limiter.take("client", 1, t0 + std::chrono::milliseconds(499)), 1);
    EXPECT_EQ(limiter.take("client", 1, t0 + std::chrono::milliseconds(500)), 0);
    EXPECT_EQ(limiter.take("client", 1, t0 + std::chrono::milliseconds(500)), 1);
    EXPECT_EQ(limiter.take("other", 1, t0), 0); // its own bucket
    // Waiting long refills only up to the burst.
    EXPECT_EQ(limiter.take("client", 4, t0 + std::chrono::hours(1)), 0);
    EXPECT_EQ(limiter.take("client", 1, t0 + std::chrono::hours(1)), 1);
    // A cost over the burst is capped at the burst, so it can succeed at all.
    EXPECT_EQ(limiter.take("big", 10, t0), 0);
}

TEST(RateLimiterTest, RetryAfterIsWholeSecondsUntilEnoughTokens) {
    RateLimiter limiter({0.25, 2});
    EXPECT_EQ(limiter.take("k", 2, t0), 0);
    EXPECT_EQ(limiter.take("k", 1, t0), 4);
    EXPECT_EQ(limiter.take("k", 2, t0), 8);
}

TEST(RateLimiterTest, AFloodOfKeysStaysBounded) {
    RateLimiter limiter({1, 5}, 1024);
    for (int i = 0; i < 100000; ++i) {
        ASSERT_EQ(limiter.take("client-" + std::to_string(i), 1, t0), 0);
    }
    EXPECT_LE(limiter.size(), 1024u);
    // Only the table is bounded, not the limit: a client still gets one burst per eviction at most.
    EXPECT_EQ(limiter.take("client-99999", 5, t0), 1);
}

} // namespace
} // namespace sealpost::keydir
