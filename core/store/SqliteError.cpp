#include "store/SqliteError.h"

#include "base/Result.h"

#include <string>

namespace sealpost::store::detail {
namespace {

base::ErrorCode codeFor(int rc) {
    switch (rc & 0xff) { // primary code; extended codes keep it in the low byte
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return base::ErrorCode::MalformedInput;
    case SQLITE_TOOBIG:
    case SQLITE_FULL: return base::ErrorCode::LimitExceeded;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR: // SQL error: a bug in our SQL or a bad argument
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return base::ErrorCode::InvalidArgument;
    case SQLITE_INTERRUPT: return base::ErrorCode::Cancelled;
    default: return base::ErrorCode::Io; // IOERR, CANTOPEN, BUSY, LOCKED, READONLY, PERM, ...
    }
}

} // namespace

base::Error sqliteError(sqlite3* db, int rc, std::string_view context) {
    std::string detail(context);
    detail += ": ";
    // errmsg describes the most recent failure on this connection; errstr is the generic text.
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    detail += message != nullptr ? message : "unknown sqlite error";
    detail += " (sqlite code " + std::to_string(rc) + ")";
    return base::makeError(codeFor(rc), std::move(detail));
}

} // namespace sealpost::store::detail
