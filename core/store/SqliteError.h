#pragma once

// Internal to core/store (includes the sqlite header through SqliteHandles.h).

#include "base/Error.h"
#include "store/SqliteHandles.h"

#include <string>
#include <string_view>

namespace sealpost::store::detail {

// Maps an sqlite result code to our ErrorCode; the detail is `context: <sqlite message>`.
// Callers pass only non-secret context (never bound values or passphrases). A failure to read or
// write the file (disk full, file size limit, I/O error) names the database file and the
// operating system's reason instead of sqlite's generic "disk I/O error"; a damaged file (a page
// that fails SQLCipher's HMAC or sqlite's structure checks) is MalformedInput naming the file.
[[nodiscard]] base::Error sqliteError(sqlite3* db, int rc, std::string_view context);

// The detail text of sqliteError(), given what sqlite reports: rc, the errno of the failed system
// call (0 when unknown), the main database file ("" when unknown) and sqlite3_errmsg().
[[nodiscard]] std::string describeSqliteFailure(int rc, int systemErrno, std::string_view file,
                                                std::string_view sqliteMessage, std::string_view context);

} // namespace sealpost::store::detail
