#include "store/Statement.h"

#include "base/SecureBuffer.h"
#include "store/Database.h"
#include "store/SqliteError.h"
#include "store/SqliteHandles.h"

#include <cctype>
#include <cstring>
#include <string>

namespace sealpost::store {
namespace {

// Destructor for the copies handed to sqlite: wipe before freeing, the value may be a key.
void wipeAndFree(void* data) noexcept {
    if (data != nullptr) {
        base::secureWipe(data, static_cast<std::size_t>(sqlite3_msize(data)));
        sqlite3_free(data);
    }
}

// A copy owned by sqlite (released through wipeAndFree); nullptr if out of memory.
void* copyForSqlite(const void* data, std::size_t size) {
    void* copy = sqlite3_malloc64(size);
    if (copy != nullptr) {
        std::memcpy(copy, data, size);
    }
    return copy;
}

bool onlyWhitespace(std::string_view text) {
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

} // namespace

Statement::Statement(std::unique_ptr<detail::PreparedStatement> statement) : m_statement(std::move(statement)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

base::Result<Statement> Statement::prepare(Database& db, std::string_view sql) {
    auto prepared = std::make_unique<detail::PreparedStatement>();
    prepared->connection = db.connection().handle;
    const char* tail = nullptr;
    const int rc =
        sqlite3_prepare_v2(prepared->connection, sql.data(), static_cast<int>(sql.size()), &prepared->handle, &tail);
    if (rc != SQLITE_OK) {
        return detail::sqliteError(prepared->connection, rc, "prepare");
    }
    if (prepared->handle == nullptr) {
        return base::makeError(base::ErrorCode::InvalidArgument, "prepare: no SQL statement");
    }
    if (!onlyWhitespace(sql.substr(static_cast<std::size_t>(tail - sql.data())))) {
        return base::makeError(base::ErrorCode::InvalidArgument, "prepare: more than one SQL statement");
    }
    return Statement(std::move(prepared));
}

base::Result<void> Statement::checkBind(int rc, std::string_view what) {
    if (rc != SQLITE_OK) {
        return detail::sqliteError(m_statement->connection, rc, what);
    }
    return {};
}

base::Result<void> Statement::bindText(int index, std::string_view value) {
    if (value.empty()) {
        return checkBind(sqlite3_bind_text(m_statement->handle, index, "", 0, nullptr), "bind text");
    }
    void* copy = copyForSqlite(value.data(), value.size());
    if (copy == nullptr) {
        return base::makeError(base::ErrorCode::LimitExceeded, "bind text: out of memory");
    }
    // sqlite calls wipeAndFree on the copy even when the bind fails.
    return checkBind(sqlite3_bind_text64(m_statement->handle, index, static_cast<const char*>(copy), value.size(),
                                         wipeAndFree, SQLITE_UTF8),
                     "bind text");
}

base::Result<void> Statement::bindBlob(int index, base::ByteView value) {
    if (value.empty()) { // sqlite3_malloc64(0) is nullptr, which would bind NULL instead
        return checkBind(sqlite3_bind_zeroblob(m_statement->handle, index, 0), "bind blob");
    }
    void* copy = copyForSqlite(value.data(), value.size());
    if (copy == nullptr) {
        return base::makeError(base::ErrorCode::LimitExceeded, "bind blob: out of memory");
    }
    return checkBind(sqlite3_bind_blob64(m_statement->handle, index, copy, value.size(), wipeAndFree), "bind blob");
}

base::Result<void> Statement::bindInt64(int index, std::int64_t value) {
    return checkBind(sqlite3_bind_int64(m_statement->handle, index, value), "bind int64");
}

base::Result<void> Statement::bindNull(int index) {
    return checkBind(sqlite3_bind_null(m_statement->handle, index), "bind null");
}

base::Result<void> Statement::bindAll(std::initializer_list<Value> values) {
    int index = 1;
    for (const auto& v : values) {
        base::Result<void> bound = base::Ok{};
        if (const auto* text = std::get_if<std::string_view>(&v)) {
            bound = bindText(index, *text);
        } else if (const auto* number = std::get_if<std::int64_t>(&v)) {
            bound = bindInt64(index, *number);
        } else {
            bound = bindNull(index);
        }
        if (!bound) {
            return bound;
        }
        ++index;
    }
    return base::Ok{};
}

base::Result<Statement> Statement::prepare(Database& db, std::string_view sql, std::initializer_list<Value> values) {
    auto st = prepare(db, sql);
    if (!st) {
        return st;
    }
    if (auto bound = st->bindAll(values); !bound) {
        return bound.error();
    }
    return st;
}

base::Result<bool> Statement::step() {
    const int rc = sqlite3_step(m_statement->handle);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return detail::sqliteError(m_statement->connection, rc, "step");
}

base::Result<void> Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return base::Ok{};
        }
    }
}

void Statement::reset() noexcept {
    // sqlite3_reset repeats the error of the last step(), which step() already reported.
    sqlite3_reset(m_statement->handle);
}

int Statement::columnCount() const {
    return sqlite3_column_count(m_statement->handle);
}

bool Statement::columnIsNull(int column) const {
    return sqlite3_column_type(m_statement->handle, column) == SQLITE_NULL;
}

std::int64_t Statement::columnInt64(int column) const {
    return sqlite3_column_int64(m_statement->handle, column);
}

std::string Statement::columnText(int column) const {
    const unsigned char* text = sqlite3_column_text(m_statement->handle, column);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(m_statement->handle, column));
    return text == nullptr ? std::string() : std::string(base::asString(base::ByteView(text, size)));
}

base::Bytes Statement::columnBlob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_statement->handle, column));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(m_statement->handle, column));
    return data == nullptr ? base::Bytes() : base::Bytes(data, data + size);
}

} // namespace sealpost::store
