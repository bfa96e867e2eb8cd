#pragma once

#include "base/Clock.h"
#include "keydir/Answer.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace sealpost::keydir {

// The lookup answers one address hash has, cached whole (body, ETag, headers).
enum class Representation : unsigned char { CertsJson, CertsOnly, CanEncrypt };
inline constexpr std::size_t representationCount = 3;

using HashKey = std::array<unsigned char, 32>;

// A small, short-lived cache of lookup answers, so a hot address costs one map probe instead of
// a database round trip and a JSON build. Entries live `ttl` (answers may be that much out of date
// for other instances' writes; this instance's own puts invalidate). Bounded: a full shard drops
// its expired entries, and if that is not enough, all of them.
class ResponseCache {
public:
    ResponseCache(std::size_t capacity, std::chrono::milliseconds ttl);

    [[nodiscard]] std::shared_ptr<const Answer> find(const HashKey& key, Representation rep, base::TimePoint now) const;
    void store(const HashKey& key, Representation rep, std::shared_ptr<const Answer> answer, base::TimePoint now);
    void invalidate(const HashKey& key);

    [[nodiscard]] std::size_t size() const;

private:
    struct Entry {
        std::array<std::shared_ptr<const Answer>, representationCount> answers;
        std::array<base::TimePoint, representationCount> expires{};
    };
    struct KeyHasher {
        std::size_t operator()(const HashKey& key) const noexcept {
            std::size_t h = 0;
            std::memcpy(&h, key.data() + 1, sizeof h); // a SHA-256 is already uniform
            return h;
        }
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<HashKey, Entry, KeyHasher> entries;
    };
    static constexpr std::size_t shardCount = 16;

    std::size_t m_maxPerShard;
    std::chrono::milliseconds m_ttl;
    std::array<Shard, shardCount> m_shards;
};

} // namespace sealpost::keydir
