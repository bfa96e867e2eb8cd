#pragma once

// Internal to core/store (includes the sqlite header through SqliteHandles.h).

#include "base/Error.h"
#include "store/SqliteHandles.h"

#include <string_view>

namespace sealpost::store::detail {

// Maps an sqlite result code to our ErrorCode; the detail is `context: <sqlite message>`.
// Callers pass only non-secret context (never bound values or passphrases).
[[nodiscard]] base::Error sqliteError(sqlite3* db, int rc, std::string_view context);

} // namespace sealpost::store::detail
