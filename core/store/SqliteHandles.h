#pragma once

// Internal to core/store: include only from this folder's .cpp files, never from a public header.

#include <sqlcipher/sqlite3.h>

namespace sealpost::store::detail {

struct Connection {
    sqlite3* handle = nullptr;

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    // close_v2 defers the close until every statement is finalized instead of failing.
    ~Connection() { sqlite3_close_v2(handle); }
};

struct PreparedStatement {
    sqlite3_stmt* handle = nullptr;
    sqlite3* connection = nullptr;

    PreparedStatement() = default;
    PreparedStatement(const PreparedStatement&) = delete;
    PreparedStatement& operator=(const PreparedStatement&) = delete;
    PreparedStatement(PreparedStatement&&) = delete;
    PreparedStatement& operator=(PreparedStatement&&) = delete;
    ~PreparedStatement() { sqlite3_finalize(handle); }
};

} // namespace sealpost::store::detail
