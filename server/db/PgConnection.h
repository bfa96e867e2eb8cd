#pragma once

// One libpq connection and the helpers the PostgreSQL back ends of the servers' stores share.
// Include only from those back ends' .cpp files, never from a public header: libpq's types
// stay out of every store's interface.

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstdint>
#include <libpq-fe.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::db {

struct ResultDeleter {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// A statement its owner prepares on every connection it uses (PQprepare): a name unique per
// connection and the SQL with $1.. parameters.
struct PreparedStatement {
    const char* name;
    std::string sql;
};

struct Connection {
    PGconn* conn = nullptr;
    bool prepared = false;            // the owner's prepared statements exist on it
    bool sessionObjectsReady = false; // the owner's per-session objects (temporary tables) exist on it

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    ~Connection() { PQfinish(conn); }

    // The failure of `result` (or of the connection when result is null) as an Error: Unreachable
    // when the connection is gone, otherwise by SQLSTATE (TemporaryFailure for serialization,
    // resource and lock failures, AuthFailed, InvalidArgument for a violated constraint, else Io).
    [[nodiscard]] base::Error error(const PGresult* result, std::string_view context) const;
    // PQexec for statements without parameters (several may be separated by ';').
    [[nodiscard]] base::Result<PgResult> exec(const char* sql, std::string_view context);
    // Makes the connection usable: re-establishes it when the server dropped it (restart, idle
    // timeout, failover; prepared and sessionObjectsReady are then false again) and prepares
    // `statements` once per session. Errors: Unreachable (still no connection), others by SQLSTATE.
    [[nodiscard]] base::Result<void> ready(std::span<const PreparedStatement> statements);
};

// Connects to a libpq connection URI; `applicationName` names the program in pg_stat_activity
// unless the URI names it. Errors: InvalidArgument (not a valid URI), Unreachable, AuthFailed,
// NotFound (no such database). Details never contain the URI's password.
[[nodiscard]] base::Result<std::unique_ptr<Connection>> connect(const std::string& uri, const char* applicationName);

// Parameters for PQexecPrepared: text values, bytea as binary. Results come back in binary.
class Params {
public:
    Params& text(std::string value) {
        m_storage.emplace_back(std::move(value));
        m_binary.push_back(0);
        return *this;
    }
    Params& bytes(base::ByteView value) {
        m_storage.emplace_back(base::asString(value));
        m_binary.push_back(1);
        return *this;
    }
    Params& integer(std::int64_t value) { return text(std::to_string(value)); }
    Params& null() {
        m_storage.emplace_back(std::nullopt);
        m_binary.push_back(0);
        return *this;
    }

    // Runs the prepared statement `name`; a result with rows, or without (a command).
    [[nodiscard]] base::Result<PgResult> run(Connection& connection, const char* name, std::string_view context) const;

    // Runs an idempotent prepared statement. A connection the server dropped while it sat in a
    // pool (restart, idle timeout, failover) fails on first use: the statement then runs once
    // more on it, reconnected and with `statements` prepared again.
    [[nodiscard]] base::Result<PgResult> runIdempotent(Connection& connection,
                                                       std::span<const PreparedStatement> statements, const char* name,
                                                       std::string_view context) const;

private:
    std::vector<std::optional<std::string>> m_storage;
    std::vector<int> m_binary;
};

// A PostgreSQL array literal of text values: {"a","b"}.
[[nodiscard]] std::string textArray(std::span<const std::string> values);

// Binary result columns.
[[nodiscard]] std::int64_t binaryInt64(const PGresult* result, int row, int column);
[[nodiscard]] std::string binaryText(const PGresult* result, int row, int column);
[[nodiscard]] base::Bytes binaryBytes(const PGresult* result, int row, int column);
// The number of rows a command (INSERT, UPDATE, DELETE) changed.
[[nodiscard]] std::int64_t changedRows(PGresult* result); // libpq takes it non-const

// Rolls back unless committed.
class Transaction {
public:
    [[nodiscard]] static base::Result<Transaction> begin(Connection& connection) {
        if (auto begun = connection.exec("BEGIN", "begin"); !begun) {
            return begun.error();
        }
        return Transaction(connection);
    }
    Transaction(Transaction&& other) noexcept : m_connection(std::exchange(other.m_connection, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (m_connection != nullptr && PQstatus(m_connection->conn) == CONNECTION_OK) {
            (void)m_connection->exec("ROLLBACK", "rollback");
        }
    }
    [[nodiscard]] base::Result<void> commit() {
        auto done = m_connection->exec("COMMIT", "commit");
        if (!done) {
            return done.error();
        }
        m_connection = nullptr;
        return {};
    }

private:
    explicit Transaction(Connection& connection) : m_connection(&connection) {}
    Connection* m_connection;
};

} // namespace sealpost::db
