#include "keydir/RateLimiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sealpost::keydir {
namespace {

std::optional<double> parseNumber(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::int64_t nanoseconds(base::TimePoint t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

std::optional<RateLimit> parseRateLimit(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    const auto rate = parseNumber(text.substr(0, slash));
    const auto burst = parseNumber(text.substr(slash + 1));
    if (!rate || !burst || *rate <= 0 || *burst < 1) {
        return std::nullopt;
    }
    return RateLimit{*rate, *burst};
}

RateLimiter::RateLimiter(RateLimit limit, std::size_t maxKeys)
    : m_limit(limit), m_maxPerShard(std::max<std::size_t>(1, maxKeys / shardCount)) {}

double RateLimiter::refilled(const Bucket& bucket, std::int64_t nowNs) const noexcept {
    const double elapsed = static_cast<double>(std::max<std::int64_t>(0, nowNs - bucket.updatedNs)) / 1e9;
    return std::min(m_limit.burst, bucket.tokens + elapsed * m_limit.rate);
}

void RateLimiter::makeRoom(Shard& shard, std::int64_t nowNs) const {
    std::erase_if(shard.buckets, [&](const auto& entry) { return refilled(entry.second, nowNs) >= m_limit.burst; });
    // Still full: drop arbitrary buckets down to 7/8, so the scan above runs rarely.
    const std::size_t target = m_maxPerShard - m_maxPerShard / 8 - 1;
    while (shard.buckets.size() > target && !shard.buckets.empty()) {
        shard.buckets.erase(shard.buckets.begin());
    }
}

int RateLimiter::take(std::string_view key, double cost, base::TimePoint now) {
    cost = std::min(cost, m_limit.burst);
    const std::int64_t nowNs = nanoseconds(now);
    Shard& shard = m_shards[KeyHash{}(key) % shardCount];
    const std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
        if (shard.buckets.size() >= m_maxPerShard) {
            makeRoom(shard, nowNs);
        }
        it = shard.buckets.emplace(std::string(key), Bucket{m_limit.burst, nowNs}).first;
    }
    Bucket& bucket = it->second;
    bucket.tokens = refilled(bucket, nowNs);
    bucket.updatedNs = std::max(bucket.updatedNs, nowNs);
    if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((cost - bucket.tokens) / m_limit.rate)));
}

std::size_t RateLimiter::size() const {
    std::size_t total = 0;
    for (const Shard& shard : m_shards) {
        const std::lock_guard lock(shard.mutex);
        total += shard.buckets.size();
    }
    return total;
}

} // namespace sealpost::keydir
