#include "keydir/store/SqliteCertStore.h"

#include "db/ConnectionPool.h"
#include "keydir/store/StoreFormat.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <mutex>
#include <sqlcipher/sqlite3.h>
#include <string>
#include <utility>

namespace sealpost::keydir {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr int kBusyTimeoutMs = 10000;
constexpr std::size_t kBulkBatch = 10000; // putMany entries per transaction

// Forward-only migrations: entry i takes user_version i to i + 1. Never edit a released entry.
constexpr std::array<const char*, SqliteCertStore::kSchemaVersion> kMigrations = {
    // 1: certificates by fingerprint; the address table's primary key is the lookup index.
    R"sql(
CREATE TABLE certs (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    leaf BLOB NOT NULL,
    chain BLOB NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    provenance TEXT NOT NULL,
    first_published INTEGER NOT NULL
);
CREATE TABLE addresses (
    address_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL REFERENCES certs (fingerprint),
    PRIMARY KEY (address_hash, fingerprint)
) WITHOUT ROWID;
)sql",
};

enum class Sql : std::size_t { InsertCert, InsertAddress, Find, Count, BeginRead, BeginWrite, Commit, Rollback, End };

constexpr std::array<const char*, static_cast<std::size_t>(Sql::End)> kSql = {
    "INSERT OR IGNORE INTO certs (fingerprint, leaf, chain, not_before, not_after, provenance, first_published) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT OR IGNORE INTO addresses (address_hash, fingerprint) VALUES (?1, ?2)",
    // One walk of the addresses primary key, one certs lookup per filed certificate.
    "SELECT c.fingerprint, c.leaf, c.chain, c.not_before, c.not_after, c.provenance, c.first_published "
    "FROM addresses a JOIN certs c ON c.fingerprint = a.fingerprint "
    "WHERE a.address_hash = ?1 AND c.not_before <= ?2 AND c.not_after > ?2 "
    "ORDER BY c.not_before DESC, c.fingerprint",
    "SELECT count(*) FROM certs",
    "BEGIN",
    // IMMEDIATE takes the write lock up front: two deferred transactions that both read, then
    // both try to write, would fail with SQLITE_BUSY instead of waiting.
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
};

ErrorCode codeFor(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return ErrorCode::MalformedInput;
    case SQLITE_TOOBIG: return ErrorCode::LimitExceeded;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::TemporaryFailure;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return ErrorCode::InvalidArgument;
    default: return ErrorCode::Io;
    }
}

base::Error sqliteError(sqlite3* db, int rc, std::string_view context) {
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string detail(context);
    detail += ": ";
    detail += message != nullptr ? message : "unknown sqlite error";
    detail += " (sqlite code " + std::to_string(rc) + ")";
    return makeError(codeFor(rc), std::move(detail));
}

struct Connection {
    sqlite3* db = nullptr;
    std::array<sqlite3_stmt*, kSql.size()> statements{};

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    ~Connection() {
        for (sqlite3_stmt* statement : statements) {
            sqlite3_finalize(statement);
        }
        sqlite3_close_v2(db);
    }

    base::Result<void> exec(const char* sql, std::string_view context) {
        if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
            return sqliteError(db, rc, context);
        }
        return {};
    }
};

// A cached statement, lent for one use: reset and unbound when the use ends.
class Use {
public:
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Use(Use&&) = delete;
    Use& operator=(Use&&) = delete;
    ~Use() {
        if (m_statement != nullptr) {
            sqlite3_reset(m_statement);
            sqlite3_clear_bindings(m_statement);
        }
    }

    static base::Result<sqlite3_stmt*> prepare(Connection& connection, Sql which) {
        sqlite3_stmt*& slot = connection.statements.at(static_cast<std::size_t>(which));
        if (slot == nullptr) {
            const char* sql = kSql.at(static_cast<std::size_t>(which));
            if (const int rc = sqlite3_prepare_v2(connection.db, sql, -1, &slot, nullptr); rc != SQLITE_OK) {
                return sqliteError(connection.db, rc, "prepare");
            }
        }
        return slot;
    }
    explicit Use(sqlite3_stmt* statement) : m_statement(statement) {}

    [[nodiscard]] sqlite3_stmt* get() const { return m_statement; }

    // Runs a statement without result rows (or ignoring them).
    base::Result<void> run(sqlite3* db, std::string_view context) const {
        int rc = SQLITE_ROW;
        while (rc == SQLITE_ROW) {
            rc = sqlite3_step(m_statement);
        }
        if (rc != SQLITE_DONE) {
            return sqliteError(db, rc, context);
        }
        return {};
    }

private:
    sqlite3_stmt* m_statement;
};

base::Result<void> runCached(Connection& connection, Sql which, std::string_view context) {
    auto statement = Use::prepare(connection, which);
    if (!statement) {
        return statement.error();
    }
    const Use use(*statement);
    return use.run(connection.db, context);
}

// Rolls back unless committed.
class Transaction {
public:
    static base::Result<Transaction> begin(Connection& connection, bool write) {
        if (auto begun = runCached(connection, write ? Sql::BeginWrite : Sql::BeginRead, "begin"); !begun) {
            return begun.error();
        }
        return Transaction(connection);
    }
    Transaction(Transaction&& other) noexcept : m_connection(std::exchange(other.m_connection, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (m_connection != nullptr) {
            (void)runCached(*m_connection, Sql::Rollback, "rollback");
        }
    }
    base::Result<void> commit() {
        auto done = runCached(*m_connection, Sql::Commit, "commit");
        if (done) {
            m_connection = nullptr;
        }
        return done;
    }

private:
    explicit Transaction(Connection& connection) : m_connection(&connection) {}
    Connection* m_connection;
};

base::Result<void> bindText(sqlite3* db, sqlite3_stmt* statement, int index, std::string_view value) {
    if (const int rc =
            sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        rc != SQLITE_OK) {
        return sqliteError(db, rc, "bind");
    }
    return {};
}

base::Result<void> bindBlob(sqlite3* db, sqlite3_stmt* statement, int index, base::ByteView value) {
    // A zero-length blob must not be bound as NULL (a null pointer would be).
    static constexpr std::uint8_t kEmpty = 0;
    const void* data = value.empty() ? &kEmpty : value.data();
    if (const int rc = sqlite3_bind_blob(statement, index, data, static_cast<int>(value.size()), SQLITE_TRANSIENT);
        rc != SQLITE_OK) {
        return sqliteError(db, rc, "bind");
    }
    return {};
}

base::Result<void> bindInt64(sqlite3* db, sqlite3_stmt* statement, int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(statement, index, value); rc != SQLITE_OK) {
        return sqliteError(db, rc, "bind");
    }
    return {};
}

base::Bytes columnBlob(sqlite3_stmt* statement, int column) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, column));
    const int size = sqlite3_column_bytes(statement, column);
    return data == nullptr ? base::Bytes() : base::Bytes(data, data + size);
}

std::string columnText(sqlite3_stmt* statement, int column) {
    const auto* data = sqlite3_column_text(statement, column);
    const int size = sqlite3_column_bytes(statement, column);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

// Files the certificate under each hash on `connection`, inside the caller's transaction. True
// when anything was written.
base::Result<bool> putOn(Connection& connection, std::span<const std::string> addressHashes, const StoredCert& cert,
                         std::int64_t now) {
    sqlite3* db = connection.db;
    auto insertCert = Use::prepare(connection, Sql::InsertCert);
    if (!insertCert) {
        return insertCert.error();
    }
    bool inserted = false;
    {
        const Use use(*insertCert);
        const base::Bytes chain = detail::encodeChain(cert.chainDer);
        for (const auto& bound :
             {bindText(db, use.get(), 1, cert.fingerprint), bindBlob(db, use.get(), 2, cert.leafDer),
              bindBlob(db, use.get(), 3, chain), bindInt64(db, use.get(), 4, cert.notBefore),
              bindInt64(db, use.get(), 5, cert.notAfter), bindText(db, use.get(), 6, cert.provenance),
              bindInt64(db, use.get(), 7, now)}) {
            if (!bound) {
                return bound.error();
            }
        }
        if (auto ran = use.run(db, "insert certificate"); !ran) {
            return ran.error();
        }
        inserted = sqlite3_changes(db) > 0;
    }
    auto insertAddress = Use::prepare(connection, Sql::InsertAddress);
    if (!insertAddress) {
        return insertAddress.error();
    }
    for (const auto& hash : addressHashes) {
        const Use use(*insertAddress);
        if (auto bound = bindText(db, use.get(), 1, hash); !bound) {
            return bound.error();
        }
        if (auto bound = bindText(db, use.get(), 2, cert.fingerprint); !bound) {
            return bound.error();
        }
        if (auto ran = use.run(db, "insert address"); !ran) {
            return ran.error();
        }
        inserted = inserted || sqlite3_changes(db) > 0;
    }
    return inserted;
}

base::Result<std::vector<StoredCert>> findOn(Connection& connection, std::string_view addressHash, std::int64_t now) {
    sqlite3* db = connection.db;
    auto find = Use::prepare(connection, Sql::Find);
    if (!find) {
        return find.error();
    }
    const Use use(*find);
    sqlite3_stmt* statement = use.get();
    if (auto bound = bindText(db, statement, 1, addressHash); !bound) {
        return bound.error();
    }
    if (auto bound = bindInt64(db, statement, 2, now); !bound) {
        return bound.error();
    }
    std::vector<StoredCert> found;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        StoredCert cert;
        cert.fingerprint = columnText(statement, 0);
        cert.leafDer = columnBlob(statement, 1);
        auto chain = detail::decodeChain(columnBlob(statement, 2));
        if (!chain) {
            return makeError(chain.error().code, chain.error().detail + " (certificate " + cert.fingerprint + ")");
        }
        cert.chainDer = std::move(*chain);
        cert.notBefore = sqlite3_column_int64(statement, 3);
        cert.notAfter = sqlite3_column_int64(statement, 4);
        cert.provenance = columnText(statement, 5);
        cert.firstPublished = sqlite3_column_int64(statement, 6);
        found.push_back(std::move(cert));
    }
    if (rc != SQLITE_DONE) {
        return sqliteError(db, rc, "find");
    }
    return found;
}

base::Result<std::int64_t> queryInt(Connection& connection, const char* sql, std::string_view context) {
    sqlite3_stmt* statement = nullptr;
    if (const int rc = sqlite3_prepare_v2(connection.db, sql, -1, &statement, nullptr); rc != SQLITE_OK) {
        return sqliteError(connection.db, rc, context);
    }
    const int rc = sqlite3_step(statement);
    const std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW) {
        return sqliteError(connection.db, rc, context);
    }
    return value;
}

base::Result<void> migrate(Connection& connection, const std::string& file) {
    auto transaction = Transaction::begin(connection, true);
    if (!transaction) {
        return transaction.error();
    }
    // Read inside the write transaction: another process opening the file at the same moment
    // waits, then sees the migrated version.
    const auto version = queryInt(connection, "PRAGMA user_version", "read schema version");
    if (!version) {
        return version.error();
    }
    if (*version > SqliteCertStore::kSchemaVersion) {
        return makeError(ErrorCode::Unsupported, file + ": schema version " + std::to_string(*version) +
                                                     " is newer than this program's " +
                                                     std::to_string(SqliteCertStore::kSchemaVersion));
    }
    for (std::int64_t next = *version; next < SqliteCertStore::kSchemaVersion; ++next) {
        if (auto done = connection.exec(kMigrations.at(static_cast<std::size_t>(next)), "migrate"); !done) {
            return done;
        }
    }
    if (*version < SqliteCertStore::kSchemaVersion) {
        const std::string pragma = "PRAGMA user_version = " + std::to_string(SqliteCertStore::kSchemaVersion);
        if (auto done = connection.exec(pragma.c_str(), "set schema version"); !done) {
            return done;
        }
    }
    return transaction->commit();
}

base::Result<std::unique_ptr<Connection>> openConnection(const std::string& file, bool first) {
    auto connection = std::make_unique<Connection>();
    // NOMUTEX: the pool lends each connection to one thread at a time.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (const int rc = sqlite3_open_v2(file.c_str(), &connection->db, flags, nullptr); rc != SQLITE_OK) {
        return makeError(ErrorCode::Io, sqliteError(connection->db, rc, "cannot open " + file).detail);
    }
    sqlite3_busy_timeout(connection->db, kBusyTimeoutMs);
    // The first read of the header tells whether this is a SQLite file at all.
    if (auto read = connection->exec("SELECT count(*) FROM sqlite_master", "read " + file); !read) {
        if (read.error().code == ErrorCode::MalformedInput) {
            return makeError(ErrorCode::MalformedInput, "not a SQLite database: " + file);
        }
        return makeError(ErrorCode::Io, read.error().detail);
    }
    if (first) {
        sqlite3_stmt* statement = nullptr;
        // A certificate row (leaf and chain, 2-4 KiB) fits a 4 KiB page far better than the
        // library's default of 1 KiB; this only takes effect while the file is still empty.
        if (auto paged = connection->exec("PRAGMA page_size = 4096", "configure " + file); !paged) {
            return paged.error();
        }
        int rc = sqlite3_prepare_v2(connection->db, "PRAGMA journal_mode = WAL", -1, &statement, nullptr);
        std::string journal;
        if (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
            journal = columnText(statement, 0);
        }
        sqlite3_finalize(statement);
        if (journal != "wal") {
            return makeError(ErrorCode::Io, "cannot switch " + file + " to WAL (journal mode: " + journal + ")");
        }
        if (auto migrated = migrate(*connection, file); !migrated) {
            return migrated.error();
        }
    }
    // NORMAL is durable in WAL mode except for the last transactions before a power cut. Each
    // connection caches 16 MiB of pages and maps up to 1 GiB of the file, so hot lookups do not
    // copy pages through read() calls.
    if (auto pragmas = connection->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                                        "PRAGMA cache_size = -16384; PRAGMA mmap_size = 1073741824",
                                        "configure " + file);
        !pragmas) {
        return pragmas.error();
    }
    return connection;
}

} // namespace

struct SqliteCertStore::Impl {
    std::string file;
    db::ConnectionPool<Connection> pool;
    // SQLite has one writer at a time. Threads of this process queue here instead of polling
    // the file lock in the busy handler (which sleeps up to 100 ms between tries); the busy
    // timeout still covers other processes writing to the same file.
    std::mutex writer;

    Impl(std::string path, std::vector<std::unique_ptr<Connection>> connections)
        : file(std::move(path)), pool(std::move(connections)) {}
};

SqliteCertStore::SqliteCertStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SqliteCertStore::~SqliteCertStore() = default;

base::Result<std::unique_ptr<SqliteCertStore>> SqliteCertStore::open(const std::filesystem::path& file, int poolSize) {
    if (poolSize < 1) {
        return makeError(ErrorCode::InvalidArgument, "pool size must be at least 1");
    }
    const std::u8string name = file.u8string(); // sqlite wants UTF-8
    const std::string utf8(name.begin(), name.end());
    if (utf8.empty() || utf8 == ":memory:") {
        return makeError(ErrorCode::InvalidArgument, "the SQLite store needs a file name");
    }
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < poolSize; ++i) {
        auto connection = openConnection(utf8, i == 0);
        if (!connection) {
            return connection.error();
        }
        connections.push_back(std::move(*connection));
    }
    return std::unique_ptr<SqliteCertStore>(new SqliteCertStore(std::make_unique<Impl>(utf8, std::move(connections))));
}

base::Result<PutOutcome> SqliteCertStore::put(std::span<const std::string> addressHashes, const StoredCert& cert,
                                              std::int64_t now) {
    if (auto checked = detail::checkPut(addressHashes, cert); !checked) {
        return checked.error();
    }
    auto connection = m_impl->pool.acquire();
    const std::lock_guard writing(m_impl->writer);
    auto transaction = Transaction::begin(*connection, true);
    if (!transaction) {
        return transaction.error();
    }
    auto inserted = putOn(*connection, addressHashes, cert, now);
    if (!inserted) {
        return inserted.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return *inserted ? PutOutcome::Inserted : PutOutcome::Unchanged;
}

base::Result<std::int64_t> SqliteCertStore::putMany(std::span<const BulkEntry> entries, std::int64_t now) {
    for (const auto& entry : entries) {
        if (auto checked = detail::checkPut(entry.addressHashes, entry.cert); !checked) {
            return checked.error();
        }
    }
    auto connection = m_impl->pool.acquire();
    std::int64_t inserted = 0;
    for (std::size_t start = 0; start < entries.size(); start += kBulkBatch) {
        const std::lock_guard writing(m_impl->writer);
        auto transaction = Transaction::begin(*connection, true);
        if (!transaction) {
            return transaction.error();
        }
        std::int64_t batchInserted = 0;
        for (const auto& entry : entries.subspan(start, std::min(kBulkBatch, entries.size() - start))) {
            auto done = putOn(*connection, entry.addressHashes, entry.cert, now);
            if (!done) {
                return done.error();
            }
            batchInserted += *done ? 1 : 0;
        }
        if (auto committed = transaction->commit(); !committed) {
            return committed.error();
        }
        inserted += batchInserted;
    }
    return inserted;
}

base::Result<std::vector<StoredCert>> SqliteCertStore::find(std::string_view addressHash, std::int64_t now) {
    if (auto checked = detail::checkHash(addressHash); !checked) {
        return checked.error();
    }
    auto connection = m_impl->pool.acquire();
    return findOn(*connection, addressHash, now);
}

base::Result<std::vector<std::vector<StoredCert>>> SqliteCertStore::findMany(std::span<const std::string> addressHashes,
                                                                             std::int64_t now) {
    for (const auto& hash : addressHashes) {
        if (auto checked = detail::checkHash(hash); !checked) {
            return checked.error();
        }
    }
    auto connection = m_impl->pool.acquire();
    // One read transaction: every answer comes from the same snapshot.
    auto transaction = Transaction::begin(*connection, false);
    if (!transaction) {
        return transaction.error();
    }
    std::vector<std::vector<StoredCert>> answers;
    answers.reserve(addressHashes.size());
    for (const auto& hash : addressHashes) {
        auto found = findOn(*connection, hash, now);
        if (!found) {
            return found.error();
        }
        answers.push_back(std::move(*found));
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return answers;
}

base::Result<std::int64_t> SqliteCertStore::countCertificates() {
    auto connection = m_impl->pool.acquire();
    auto count = Use::prepare(*connection, Sql::Count);
    if (!count) {
        return count.error();
    }
    const Use use(*count);
    const int rc = sqlite3_step(use.get());
    if (rc != SQLITE_ROW) {
        return sqliteError(connection->db, rc, "count certificates");
    }
    return sqlite3_column_int64(use.get(), 0);
}

base::Result<void> SqliteCertStore::ping() {
    auto connection = m_impl->pool.acquire();
    return connection->exec("SELECT 1 FROM sqlite_master LIMIT 1", "ping " + m_impl->file);
}

base::Result<std::int64_t> SqliteCertStore::schemaVersion() {
    auto connection = m_impl->pool.acquire();
    return queryInt(*connection, "PRAGMA user_version", "read schema version");
}

} // namespace sealpost::keydir
