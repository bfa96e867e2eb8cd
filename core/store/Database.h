#pragma once

#include "base/Result.h"
#include "base/SecureBuffer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace sealpost::store {

namespace detail {
struct Connection;
}

enum class OpenMode {
    CreateIfMissing, // a missing file becomes a new, empty profile at the latest schema
    MustExist,       // a missing or empty file is an error
};

// One connection to an encrypted profile database (SQLCipher). Cipher settings, pragmas and the
// schema are documented in docs/store.md. Statements and transactions borrow the connection and
// must not outlive it. A connection is used by one thread at a time.
class Database {
public:
    // Keys the file, verifies the key, refuses schemas newer than this code, then enables WAL,
    // foreign keys and secure_delete and applies pending migrations. Errors:
    //   InvalidArgument  empty passphrase (SQLCipher would silently leave the file unencrypted)
    //   WrongPassword    the passphrase does not decrypt the file; the file is not modified
    //   MalformedInput   the file is not an encrypted Sealpost database (plaintext SQLite, text...)
    //   Unsupported      the schema is newer than this code; the file is not modified
    //   Io               missing file (MustExist), permissions, locks
    [[nodiscard]] static base::Result<Database> open(const std::filesystem::path& file,
                                                     const base::SecureString& passphrase, OpenMode mode);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Re-encrypts every page under a key derived from newPassphrase. Needs exclusive use of the
    // file: it leaves WAL mode for the rollback journal during the rekey, then reopens the file
    // with the new passphrase and verifies every page (PRAGMA quick_check). Errors: Io with
    // "the passphrase ... is unchanged" when the new pages could not be written (disk full); this
    // Database is then closed (its statements fail) and the profile must be opened again.
    [[nodiscard]] base::Result<void> rekey(const base::SecureString& newPassphrase);

    // Runs one or more SQL statements without parameters (schema, pragmas). Never pass values.
    [[nodiscard]] base::Result<void> exec(std::string_view sql);

    // PRAGMA user_version: the schema version, 0 for a new file.
    [[nodiscard]] base::Result<std::int64_t> schemaVersion();

    // Rows inserted, updated or deleted by the most recent such statement on this connection.
    [[nodiscard]] std::int64_t changes() noexcept;
    // The rowid of the last row this connection inserted.
    [[nodiscard]] std::int64_t lastInsertRowId() noexcept;
    // True while a transaction is open on this connection (Transaction nests as a savepoint then).
    [[nodiscard]] bool inTransaction() noexcept;
    // The rowid of the most recent successful INSERT on this connection.
    [[nodiscard]] std::int64_t lastInsertId() noexcept;

    // For Statement and Transaction in this folder only.
    [[nodiscard]] detail::Connection& connection() noexcept { return *m_connection; }

private:
    explicit Database(std::unique_ptr<detail::Connection> connection);
    [[nodiscard]] base::Result<void> configure(const base::SecureString& passphrase);
    [[nodiscard]] base::Result<void> setJournalMode(std::string_view mode);

    std::unique_ptr<detail::Connection> m_connection;
};

} // namespace sealpost::store
