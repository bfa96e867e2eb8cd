#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "store/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::store {

// What one directory lookup of an address found. A positive entry means a certificate passed
// the client's checks and is in the correspondent store; the certificates themselves live there.
struct DirectoryCacheEntry {
    std::string addressHash; // lower-case hex SHA-256 of the normalised address
    std::string address;     // the normalised address
    base::TimePoint fetchedAt;
    base::TimePoint expiresAt;
    bool found = false;
};

struct DirectoryCacheCounts {
    std::int64_t found = 0;
    std::int64_t notFound = 0;
};

// The directory_cache table. Times are whole seconds. Expiry is the caller's decision: entries
// are returned whether fresh or stale (offline, a stale answer is better than none).
class DirectoryCache {
public:
    explicit DirectoryCache(Database& db) : m_db(db) {}

    // Inserts or replaces the entry of the address hash.
    [[nodiscard]] base::Result<void> put(const DirectoryCacheEntry& entry);
    [[nodiscard]] base::Result<std::optional<DirectoryCacheEntry>> get(std::string_view addressHash);
    [[nodiscard]] base::Result<DirectoryCacheCounts> counts();
    // Removes every entry (e.g. when the directory URL changes); returns how many there were.
    [[nodiscard]] base::Result<std::int64_t> clear();

private:
    Database& m_db;
};

} // namespace sealpost::store
