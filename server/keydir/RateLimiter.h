#pragma once

#include "base/Clock.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sealpost::keydir {

// A token bucket's shape: `rate` tokens per second, at most `burst` stored.
struct RateLimit {
    double rate = 0;
    double burst = 0;
};

// "R/B" as the command line writes it ("50/200"); nullopt unless R > 0 and B >= 1.
[[nodiscard]] std::optional<RateLimit> parseRateLimit(std::string_view text);

// Token buckets keyed by a string (a client address, an address hash). The table is bounded:
// when it is full, buckets that have refilled completely (indistinguishable from new ones) go
// first, then arbitrary ones, so a flood of distinct keys costs at most `maxKeys` buckets.
// Thread-safe; the time is passed in, so tests drive it.
class RateLimiter {
public:
    explicit RateLimiter(RateLimit limit, std::size_t maxKeys = 1U << 17);

    // Takes `cost` tokens from the key's bucket and answers 0, or takes nothing and answers the
    // whole seconds (>= 1) after which they will be there.
    [[nodiscard]] int take(std::string_view key, double cost, base::TimePoint now);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] const RateLimit& limit() const noexcept { return m_limit; }

private:
    struct Bucket {
        double tokens = 0;
        std::int64_t updatedNs = 0;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets;
    };
    static constexpr std::size_t shardCount = 16;

    void makeRoom(Shard& shard, std::int64_t nowNs) const;
    [[nodiscard]] double refilled(const Bucket& bucket, std::int64_t nowNs) const noexcept;

    RateLimit m_limit;
    std::size_t m_maxPerShard;
    std::array<Shard, shardCount> m_shards;
};

} // namespace sealpost::keydir
