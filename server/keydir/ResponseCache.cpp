#include "keydir/ResponseCache.h"

#include <algorithm>

namespace sealpost::keydir {

ResponseCache::ResponseCache(std::size_t capacity, std::chrono::milliseconds ttl)
    : m_maxPerShard(std::max<std::size_t>(1, capacity / shardCount)), m_ttl(ttl) {}

std::shared_ptr<const Answer> ResponseCache::find(const HashKey& key, Representation rep, base::TimePoint now) const {
    if (m_ttl.count() <= 0) {
        return nullptr;
    }
    const Shard& shard = m_shards[key[0] % shardCount];
    const auto index = static_cast<std::size_t>(rep);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end() || it->second.expires[index] <= now) {
        return nullptr;
    }
    return it->second.answers[index];
}

void ResponseCache::store(const HashKey& key, Representation rep, std::shared_ptr<const Answer> answer,
                          base::TimePoint now) {
    if (m_ttl.count() <= 0) {
        return;
    }
    Shard& shard = m_shards[key[0] % shardCount];
    const auto index = static_cast<std::size_t>(rep);
    const std::lock_guard lock(shard.mutex);
    if (shard.entries.size() >= m_maxPerShard && !shard.entries.contains(key)) {
        std::erase_if(shard.entries, [&](const auto& entry) {
            return std::all_of(entry.second.expires.begin(), entry.second.expires.end(),
                               [&](base::TimePoint t) { return t <= now; });
        });
        if (shard.entries.size() >= m_maxPerShard) {
            shard.entries.clear();
        }
    }
    Entry& entry = shard.entries[key];
    entry.answers[index] = std::move(answer);
    entry.expires[index] = now + m_ttl;
}

void ResponseCache::invalidate(const HashKey& key) {
    Shard& shard = m_shards[key[0] % shardCount];
    const std::lock_guard lock(shard.mutex);
    shard.entries.erase(key);
}

std::size_t ResponseCache::size() const {
    std::size_t total = 0;
    for (const Shard& shard : m_shards) {
        const std::lock_guard lock(shard.mutex);
        total += shard.entries.size();
    }
    return total;
}

} // namespace sealpost::keydir
