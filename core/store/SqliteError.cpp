#include "store/SqliteError.h"

#include "base/Result.h"

#include <cerrno>
#include <string>
#include <system_error>

namespace sealpost::store::detail {
namespace {

base::ErrorCode codeFor(int rc) {
    switch (rc & 0xff) { // primary code; extended codes keep it in the low byte
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return base::ErrorCode::MalformedInput;
    case SQLITE_TOOBIG: return base::ErrorCode::LimitExceeded;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR: // SQL error: a bug in our SQL or a bad argument
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return base::ErrorCode::InvalidArgument;
    case SQLITE_INTERRUPT: return base::ErrorCode::Cancelled;
    default: return base::ErrorCode::Io; // IOERR, FULL, CANTOPEN, BUSY, LOCKED, READONLY, PERM, ...
    }
}

bool isReadFailure(int rc) {
    return rc == SQLITE_IOERR_READ || rc == SQLITE_IOERR_SHORT_READ;
}

// SQLCipher 3.4 reports a page whose HMAC does not verify as a bare SQLITE_ERROR with sqlite's
// generic text; a real SQL error always comes with a specific message ("no such table: x", ...).
bool isDamage(int rc, std::string_view sqliteMessage) {
    const int primary = rc & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ||
           (rc == SQLITE_ERROR && sqliteMessage == sqlite3_errstr(SQLITE_ERROR));
}

} // namespace

std::string describeSqliteFailure(int rc, int systemErrno, std::string_view file, std::string_view sqliteMessage,
                                  std::string_view context) {
    std::string detail(context);
    detail += ": ";
    const int primary = rc & 0xff;
    if (isDamage(rc, sqliteMessage)) {
        detail += (file.empty() ? std::string("the profile database") : std::string(file)) +
                  " is damaged: a page fails its authentication or integrity check";
    } else if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
        // sqlite reports ENOSPC as SQLITE_FULL and other write errors (EFBIG, EIO, EDQUOT) as
        // SQLITE_IOERR_*; the file may be the database or its -wal/-journal next to it.
        const std::string where =
            file.empty() ? std::string("the profile database") : std::string(file) + " (or its -wal/-journal file)";
        if (primary == SQLITE_FULL || systemErrno == ENOSPC || systemErrno == EDQUOT) {
            detail += "disk full: cannot write " + where;
        } else if (systemErrno == EFBIG) {
            detail += "file size limit reached: cannot write " + where;
        } else if (isReadFailure(rc)) {
            detail += "cannot read " + where;
        } else {
            detail += "cannot write " + where;
        }
        if (systemErrno != 0) {
            detail += ": " + std::generic_category().message(systemErrno);
        }
    } else {
        detail += sqliteMessage.empty() ? std::string_view("unknown sqlite error") : sqliteMessage;
    }
    detail += " (sqlite code " + std::to_string(rc) + ")";
    return detail;
}

base::Error sqliteError(sqlite3* db, int rc, std::string_view context) {
    // errmsg describes the most recent failure on this connection; errstr is the generic text.
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    const int systemErrno = db != nullptr ? sqlite3_system_errno(db) : 0;
    const std::string_view text = message != nullptr ? message : "";
    return base::makeError(isDamage(rc, text) ? base::ErrorCode::MalformedInput : codeFor(rc),
                           describeSqliteFailure(rc, systemErrno, file != nullptr ? file : "", text, context));
}

} // namespace sealpost::store::detail
