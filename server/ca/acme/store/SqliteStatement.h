#pragma once
// Internal to ca/acme/store: a thin layer over the SQLite C API (statements, transactions, error
// mapping).

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstddef>
#include <cstdint>
#include <sqlcipher/sqlite3.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::ca::acme::sqlite {

inline base::ErrorCode codeFor(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return base::ErrorCode::MalformedInput;
    case SQLITE_TOOBIG: return base::ErrorCode::LimitExceeded;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return base::ErrorCode::TemporaryFailure;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return base::ErrorCode::InvalidArgument;
    default: return base::ErrorCode::Io;
    }
}

inline base::Error sqliteError(sqlite3* db, int rc, std::string_view context) {
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string detail(context);
    detail += ": ";
    detail += message != nullptr ? message : "unknown sqlite error";
    detail += " (sqlite code " + std::to_string(rc) + ")";
    return base::makeError(codeFor(rc), std::move(detail));
}

// One prepared statement, finalised when it goes out of scope. Binding errors are kept and
// reported by step().
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : m_db(db) {
        m_rc = sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&&) = delete;
    Statement& operator=(Statement&&) = delete;
    ~Statement() { sqlite3_finalize(m_statement); }

    Statement& text(int index, std::string_view value) {
        if (m_rc == SQLITE_OK) {
            m_rc =
                sqlite3_bind_text(m_statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        }
        return *this;
    }
    Statement& integer(int index, std::int64_t value) {
        if (m_rc == SQLITE_OK) {
            m_rc = sqlite3_bind_int64(m_statement, index, value);
        }
        return *this;
    }
    Statement& null(int index) {
        if (m_rc == SQLITE_OK) {
            m_rc = sqlite3_bind_null(m_statement, index);
        }
        return *this;
    }
    Statement& blob(int index, base::ByteView value) {
        if (m_rc == SQLITE_OK) {
            m_rc =
                sqlite3_bind_blob(m_statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        }
        return *this;
    }

    // true: a row is available; false: done.
    base::Result<bool> step() {
        if (m_rc != SQLITE_OK) {
            return sqliteError(m_db, m_rc, "prepare or bind");
        }
        const int rc = sqlite3_step(m_statement);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc == SQLITE_DONE) {
            return false;
        }
        return sqliteError(m_db, rc, "step");
    }
    base::Result<void> run() {
        auto stepped = step();
        if (!stepped) {
            return stepped.error();
        }
        return {};
    }

    [[nodiscard]] std::string textAt(int column) const {
        const auto* data = sqlite3_column_text(m_statement, column);
        const int size = sqlite3_column_bytes(m_statement, column);
        return data == nullptr ? std::string()
                               : std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    [[nodiscard]] std::int64_t intAt(int column) const { return sqlite3_column_int64(m_statement, column); }
    [[nodiscard]] bool isNull(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }
    [[nodiscard]] base::Bytes blobAt(int column) const {
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_statement, column));
        const int size = sqlite3_column_bytes(m_statement, column);
        return data == nullptr ? base::Bytes() : base::Bytes(data, data + size);
    }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_statement = nullptr;
    int m_rc;
};

inline base::Result<void> exec(sqlite3* db, const char* sql, std::string_view context) {
    if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
        return sqliteError(db, rc, context);
    }
    return {};
}

// Rolls back unless committed.
class Transaction {
public:
    static base::Result<Transaction> begin(sqlite3* db) {
        // IMMEDIATE: take the write lock up front (another process may share the file).
        if (auto begun = exec(db, "BEGIN IMMEDIATE", "begin"); !begun) {
            return begun.error();
        }
        return Transaction(db);
    }
    Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (m_db != nullptr) {
            (void)exec(m_db, "ROLLBACK", "rollback");
        }
    }
    base::Result<void> commit() {
        auto done = exec(m_db, "COMMIT", "commit");
        if (done) {
            m_db = nullptr;
        }
        return done;
    }

private:
    explicit Transaction(sqlite3* db) : m_db(db) {}
    sqlite3* m_db;
};

template <typename Enum> Enum enumAt(const Statement& statement, int column) {
    return static_cast<Enum>(statement.intAt(column));
}
template <typename Enum> std::int64_t fromEnum(Enum value) {
    return static_cast<std::int64_t>(value);
}

} // namespace sealpost::ca::acme::sqlite
