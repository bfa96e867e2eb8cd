#include "store/DirectoryCache.h"

#include "store/Statement.h"

#include <chrono>

namespace sealpost::store {

namespace {

std::int64_t toSeconds(base::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

base::TimePoint fromSeconds(std::int64_t seconds) {
    return base::TimePoint(std::chrono::seconds(seconds));
}

} // namespace

base::Result<void> DirectoryCache::put(const DirectoryCacheEntry& entry) {
    auto upsert = Statement::prepare(m_db,
                                     "INSERT OR REPLACE INTO directory_cache (address_hash, address, fetched_at, "
                                     "expires_at, found) VALUES (?, ?, ?, ?, ?)",
                                     {entry.addressHash, entry.address, toSeconds(entry.fetchedAt),
                                      toSeconds(entry.expiresAt), std::int64_t{entry.found ? 1 : 0}});
    if (!upsert) {
        return upsert.error();
    }
    return upsert->run();
}

base::Result<std::optional<DirectoryCacheEntry>> DirectoryCache::get(std::string_view addressHash) {
    auto select = Statement::prepare(
        m_db, "SELECT address_hash, address, fetched_at, expires_at, found FROM directory_cache WHERE address_hash = ?",
        {addressHash});
    if (!select) {
        return select.error();
    }
    auto row = select->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<DirectoryCacheEntry>();
    }
    return std::optional<DirectoryCacheEntry>(DirectoryCacheEntry{.addressHash = select->columnText(0),
                                                                  .address = select->columnText(1),
                                                                  .fetchedAt = fromSeconds(select->columnInt64(2)),
                                                                  .expiresAt = fromSeconds(select->columnInt64(3)),
                                                                  .found = select->columnInt64(4) != 0});
}

base::Result<DirectoryCacheCounts> DirectoryCache::counts() {
    auto select =
        Statement::prepare(m_db, "SELECT COALESCE(SUM(found), 0), COALESCE(SUM(1 - found), 0) FROM directory_cache");
    if (!select) {
        return select.error();
    }
    auto row = select->step();
    if (!row) {
        return row.error();
    }
    return DirectoryCacheCounts{select->columnInt64(0), select->columnInt64(1)};
}

base::Result<std::int64_t> DirectoryCache::clear() {
    auto del = Statement::prepare(m_db, "DELETE FROM directory_cache");
    if (!del) {
        return del.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    return m_db.changes();
}

} // namespace sealpost::store
