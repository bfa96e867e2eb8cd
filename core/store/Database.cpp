#include "store/Database.h"

#include "store/Migration.h"
#include "store/Schema.h"
#include "store/SqliteError.h"
#include "store/SqliteHandles.h"
#include "store/Statement.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

namespace sealpost::store {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;
using base::makeError;

constexpr std::uintmax_t kPageSize = 4096; // must match the cipher_page_size pragma below
constexpr int kBusyTimeoutMs = 5000;

// Rejects what SQLCipher cannot tell apart from a wrong key (it reports SQLITE_NOTADB for both),
// before sqlite opens the file. An encrypted SQLCipher file has no plaintext header, so all we
// can check is that it is not a plaintext SQLite file and that it is made of whole pages.
base::Result<void> checkFileBeforeOpen(const fs::path& file, OpenMode mode) {
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (status.type() == fs::file_type::not_found) {
        if (mode == OpenMode::MustExist) {
            return makeError(ErrorCode::Io, "profile database does not exist: " + file.string());
        }
        return {};
    }
    if (ec || !fs::is_regular_file(status)) {
        return makeError(ErrorCode::Io, "not a readable regular file: " + file.string());
    }
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec) {
        return makeError(ErrorCode::Io, "cannot read size of " + file.string() + ": " + ec.message());
    }
    if (size == 0) { // sqlite treats an empty file as a new database, which any key "opens"
        if (mode == OpenMode::MustExist) {
            return makeError(ErrorCode::MalformedInput, "profile database is empty: " + file.string());
        }
        return {};
    }
    std::array<char, 16> header{};
    std::ifstream in(file, std::ios::binary);
    in.read(header.data(), header.size());
    if (!in) {
        return makeError(ErrorCode::MalformedInput, "not a Sealpost profile database (too short): " + file.string());
    }
    static constexpr char kPlainMagic[] = "SQLite format 3"; // 16 bytes with the terminating NUL
    if (std::memcmp(header.data(), kPlainMagic, header.size()) == 0) {
        return makeError(ErrorCode::MalformedInput, "unencrypted SQLite database, not a profile: " + file.string());
    }
    if (size % kPageSize != 0) {
        return makeError(ErrorCode::MalformedInput, "not a Sealpost profile database: " + file.string());
    }
    return {};
}

base::Result<std::string> queryText(Database& db, std::string_view sql) {
    auto statement = Statement::prepare(db, sql);
    if (!statement) {
        return statement.error();
    }
    auto row = statement->step();
    if (!row) {
        return row.error();
    }
    return *row ? statement->columnText(0) : std::string();
}

} // namespace

Database::Database(std::unique_ptr<detail::Connection> connection) : m_connection(std::move(connection)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

base::Result<Database> Database::open(const fs::path& file, const base::SecureString& passphrase, OpenMode mode) {
    if (passphrase.empty()) { // sqlite3_key with an empty key leaves the database unencrypted
        return makeError(ErrorCode::InvalidArgument, "empty passphrase");
    }
    if (auto checked = checkFileBeforeOpen(file, mode); !checked) {
        return checked.error();
    }
    auto connection = std::make_unique<detail::Connection>();
    const int flags = SQLITE_OPEN_READWRITE | (mode == OpenMode::CreateIfMissing ? SQLITE_OPEN_CREATE : 0);
    const std::u8string name = file.u8string(); // sqlite wants UTF-8 on every platform
    const std::string utf8(name.begin(), name.end());
    if (const int rc = sqlite3_open_v2(utf8.c_str(), &connection->handle, flags, nullptr); rc != SQLITE_OK) {
        return detail::sqliteError(connection->handle, rc, "open " + file.string());
    }
    Database db(std::move(connection));
    if (auto configured = db.configure(passphrase); !configured) {
        if (configured.error().code == ErrorCode::WrongPassword) {
            return makeError(ErrorCode::WrongPassword, configured.error().detail + ": " + file.string());
        }
        return configured.error();
    }
    return db;
}

// The order matters: nothing may write to the file before the key is verified and the schema
// version is known to be ours, so a wrong passphrase or a newer profile leaves it untouched.
base::Result<void> Database::configure(const base::SecureString& passphrase) {
    sqlite3* db = m_connection->handle;
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // sqlite3_key is what `PRAGMA key` calls; the C API keeps the passphrase out of SQL text.
    const std::string_view key = passphrase.view();
    if (const int rc = sqlite3_key(db, key.data(), static_cast<int>(key.size())); rc != SQLITE_OK) {
        return detail::sqliteError(db, rc, "key");
    }
    const auto cipherVersion = queryText(*this, "PRAGMA cipher_version");
    if (!cipherVersion || cipherVersion->empty()) {
        return makeError(ErrorCode::Unsupported, "the linked sqlite library is not SQLCipher");
    }
    // Explicit settings (docs/store.md): SQLCipher 3.4 fixes AES-256-CBC, PBKDF2-HMAC-SHA1 and a
    // per-page HMAC-SHA1; it has no cipher_hmac_algorithm/cipher_kdf_algorithm pragmas. On
    // SQLCipher 4+ (other platforms) cipher_compatibility = 3 selects the same SHA-1 algorithms
    // so every build reads the same file format; that branch is not exercised on Debian 12.
    if (cipherVersion->front() != '3') {
        if (auto compat = exec("PRAGMA cipher_compatibility = 3"); !compat) {
            return compat;
        }
    }
    if (auto cipher = exec("PRAGMA cipher_page_size = 4096; PRAGMA kdf_iter = 256000; PRAGMA cipher_use_hmac = ON");
        !cipher) {
        return cipher;
    }
    // The first read derives the key and decrypts page 1 (HMAC checked): the key check.
    if (const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
        rc != SQLITE_OK) {
        if (rc == SQLITE_NOTADB) {
            return makeError(ErrorCode::WrongPassword, "passphrase does not decrypt the profile database");
        }
        return detail::sqliteError(db, rc, "verify key");
    }
    const auto version = schemaVersion();
    if (!version) {
        return version.error();
    }
    if (const auto known = static_cast<std::int64_t>(profileMigrations().size()); *version > known) {
        return makeError(ErrorCode::Unsupported, "profile schema version " + std::to_string(*version) +
                                                     " is newer than this program's " + std::to_string(known));
    }
    if (auto wal = setJournalMode("wal"); !wal) {
        return wal;
    }
    if (auto pragmas = exec("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON"); !pragmas) {
        return pragmas;
    }
    return migrate(*this, profileMigrations());
}

base::Result<void> Database::setJournalMode(std::string_view mode) {
    const auto actual = queryText(*this, "PRAGMA journal_mode = " + std::string(mode));
    if (!actual) {
        return actual.error();
    }
    if (*actual != mode) { // e.g. leaving WAL while another connection has the file open
        return makeError(ErrorCode::Io, "cannot switch journal mode to " + std::string(mode) + " (still " + *actual +
                                            "); is the profile open elsewhere?");
    }
    return {};
}

base::Result<void> Database::rekey(const base::SecureString& newPassphrase) {
    if (newPassphrase.empty()) {
        return makeError(ErrorCode::InvalidArgument, "empty passphrase");
    }
    // SQLCipher 3.4 rewrites every page inside one write transaction. In the rollback journal the
    // old pages stay recoverable until the commit; we do not rely on rekey through the WAL.
    if (auto checkpoint = exec("PRAGMA wal_checkpoint(TRUNCATE)"); !checkpoint) {
        return checkpoint;
    }
    if (auto journal = setJournalMode("delete"); !journal) {
        return journal;
    }
    const char* name = sqlite3_db_filename(m_connection->handle, "main");
    const fs::path file = name != nullptr ? fs::path(name) : fs::path();
    const std::string_view key = newPassphrase.view();
    const int rc = sqlite3_rekey(m_connection->handle, key.data(), static_cast<int>(key.size()));
    const int systemErrno = sqlite3_system_errno(m_connection->handle);
    // SQLCipher 3.4's sqlite3_rekey returns SQLITE_OK even when writing the pages or committing
    // failed (disk full), and then encrypts every later write with the new key although the file
    // is still under the old one: one more write through this connection (even the switch back
    // to WAL) would leave a file no passphrase opens. So this connection never writes again. It
    // is closed, and the file itself says what happened: an interrupted commit left a hot
    // journal, which the next open rolls back, so the file is wholly under one key.
    m_connection = std::make_unique<detail::Connection>();
    auto reopened = Database::open(file, newPassphrase, OpenMode::MustExist);
    if (reopened) {
        auto checked = queryText(*reopened, "PRAGMA quick_check");
        if (!checked || *checked != "ok") {
            return makeError(ErrorCode::MalformedInput, "rekey: " + file.string() +
                                                            " is under the new passphrase but does not verify: " +
                                                            (checked ? *checked : checked.error().detail));
        }
        *this = std::move(*reopened);
        return {};
    }
    // This Database stays closed (every statement fails); the caller opens the profile again.
    if (reopened.error().code != ErrorCode::WrongPassword) { // the key check may not have run
        return makeError(reopened.error().code,
                         "rekey: cannot reopen the profile to verify the new passphrase: " + reopened.error().detail);
    }
    std::string detail = "rekey: ";
    // SQLCipher 3.4 swallowed the error, so errno is usually unknown here; the free space tells.
    std::error_code spaceError;
    std::error_code sizeError;
    const auto space = fs::space(file.parent_path(), spaceError);
    const std::uintmax_t size = fs::file_size(file, sizeError);
    const bool noRoom = !spaceError && !sizeError && space.available < size + kPageSize;
    if (systemErrno == ENOSPC || systemErrno == EDQUOT || (systemErrno == 0 && noRoom)) {
        detail += "disk full: ";
    } else if (systemErrno == EFBIG) {
        detail += "file size limit reached: ";
    }
    detail += "cannot write the re-encrypted pages of " + file.string();
    if (systemErrno != 0) {
        detail += ": " + std::generic_category().message(systemErrno);
    }
    detail += "; its passphrase is unchanged";
    if (rc != SQLITE_OK) {
        detail += " (sqlite code " + std::to_string(rc) + ")";
    }
    return makeError(ErrorCode::Io, std::move(detail));
}

base::Result<void> Database::exec(std::string_view sql) {
    const std::string text(sql);
    if (const int rc = sqlite3_exec(m_connection->handle, text.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
        return detail::sqliteError(m_connection->handle, rc, "exec");
    }
    return {};
}

// A Database closed by a failed rekey has no handle: sqlite3_prepare/exec report misuse for it,
// these three would dereference it.
std::int64_t Database::lastInsertId() noexcept {
    return m_connection->handle != nullptr ? sqlite3_last_insert_rowid(m_connection->handle) : 0;
}

bool Database::inTransaction() noexcept {
    return m_connection->handle != nullptr && sqlite3_get_autocommit(m_connection->handle) == 0;
}

std::int64_t Database::changes() noexcept {
    return m_connection->handle != nullptr ? sqlite3_changes(m_connection->handle) : 0;
}

std::int64_t Database::lastInsertRowId() noexcept {
    return m_connection->handle != nullptr ? sqlite3_last_insert_rowid(m_connection->handle) : 0;
}

base::Result<std::int64_t> Database::schemaVersion() {
    auto statement = Statement::prepare(*this, "PRAGMA user_version");
    if (!statement) {
        return statement.error();
    }
    if (auto row = statement->step(); !row || !*row) {
        return row ? makeError(ErrorCode::MalformedInput, "no user_version") : row.error();
    }
    return statement->columnInt64(0);
}

} // namespace sealpost::store
