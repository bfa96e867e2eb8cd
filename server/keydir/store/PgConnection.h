#pragma once

// Internal to keydir/store: one libpq connection and the helpers PgCertStore and its bulk
// loader share. Include only from this folder's .cpp files, never from a public header.

#include "base/Bytes.h"
#include "base/Result.h"
#include "keydir/store/CertStore.h"

#include <cstdint>
#include <libpq-fe.h>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::keydir::detail {

struct ResultDeleter {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct Connection {
    PGconn* conn = nullptr;
    bool prepared = false;        // the statements of PgCertStore are prepared on it
    bool loadTablesReady = false; // the bulk loader's temporary tables exist on it

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    ~Connection() { PQfinish(conn); }

    // The failure of `result` (or of the connection when result is null) as an Error: Unreachable
    // when the connection is gone, otherwise by SQLSTATE.
    [[nodiscard]] base::Error error(const PGresult* result, std::string_view context) const;
    // PQexec for statements without parameters (several may be separated by ';').
    [[nodiscard]] base::Result<PgResult> exec(const char* sql, std::string_view context);
};

// Connects to a libpq connection URI. Errors: InvalidArgument (not a valid URI), Unreachable,
// AuthFailed, NotFound (no such database). Details never contain the URI's password.
[[nodiscard]] base::Result<std::unique_ptr<Connection>> connect(const std::string& uri);

// Parameters for PQexecPrepared: text values, bytea as binary. Results come back in binary.
class Params {
public:
    void text(std::string value) {
        m_storage.push_back(std::move(value));
        m_binary.push_back(0);
    }
    void bytes(base::ByteView value) {
        m_storage.emplace_back(base::asString(value));
        m_binary.push_back(1);
    }
    void integer(std::int64_t value) { text(std::to_string(value)); }

    [[nodiscard]] base::Result<PgResult> run(Connection& connection, const char* name, std::string_view context) const;

private:
    std::vector<std::string> m_storage;
    std::vector<int> m_binary;
};

// A PostgreSQL array literal of text values: {"a","b"}.
[[nodiscard]] std::string textArray(std::span<const std::string> values);

// Binary result columns.
[[nodiscard]] std::int64_t binaryInt64(const PGresult* result, int row, int column);
[[nodiscard]] std::string binaryText(const PGresult* result, int row, int column);
[[nodiscard]] base::Bytes binaryBytes(const PGresult* result, int row, int column);
// The seven certificate columns starting at `first` (fingerprint, leaf, chain, not_before,
// not_after, provenance, first_published).
[[nodiscard]] base::Result<StoredCert> readCert(const PGresult* result, int row, int first);

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

} // namespace sealpost::keydir::detail
