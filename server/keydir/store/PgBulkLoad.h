#pragma once

// Internal to keydir/store: PgCertStore::putMany's loader.

#include "base/Result.h"
#include "db/PgConnection.h"
#include "keydir/store/CertStore.h"

#include <cstdint>
#include <span>

namespace sealpost::keydir::detail {

// Applies one batch in one transaction: binary COPY into the connection's temporary tables,
// then inserts from there in key order. Returns how many entries put() one after another would
// have reported Inserted.
[[nodiscard]] base::Result<std::int64_t> loadBatch(db::Connection& connection,
                                                   std::span<const CertStore::BulkEntry> batch, std::int64_t now);

} // namespace sealpost::keydir::detail
