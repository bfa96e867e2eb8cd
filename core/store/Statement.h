#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace sealpost::store {

class Database;
namespace detail {
struct PreparedStatement;
}

// One prepared SQL statement. Parameters are 1-based, columns 0-based (as in sqlite). Bound
// text and blobs are copied, and the copies are wiped when sqlite releases them, so callers may
// bind key material from short-lived buffers.
class Statement {
public:
    // A parameter value for bindAll(): text, an integer or NULL.
    using Value = std::variant<std::string_view, std::int64_t, std::nullptr_t>;

    // Exactly one statement: trailing SQL is an InvalidArgument (it would be silently ignored).
    [[nodiscard]] static base::Result<Statement> prepare(Database& db, std::string_view sql);
    // prepare() and bindAll() in one.
    [[nodiscard]] static base::Result<Statement> prepare(Database& db, std::string_view sql,
                                                         std::initializer_list<Value> values);

    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    [[nodiscard]] base::Result<void> bindText(int index, std::string_view value);
    [[nodiscard]] base::Result<void> bindBlob(int index, base::ByteView value);
    [[nodiscard]] base::Result<void> bindInt64(int index, std::int64_t value);
    [[nodiscard]] base::Result<void> bindNull(int index);
    // Binds the values to parameters 1, 2, ... in order.
    [[nodiscard]] base::Result<void> bindAll(std::initializer_list<Value> values);

    // true: a row is available through the column getters; false: the statement is done.
    [[nodiscard]] base::Result<bool> step();
    // Steps until the statement is done, ignoring any rows (INSERT, UPDATE, DELETE).
    [[nodiscard]] base::Result<void> run();
    // Makes the statement runnable again; bindings are kept.
    void reset() noexcept;

    // Columns of the current result row.
    [[nodiscard]] int columnCount() const;
    [[nodiscard]] bool columnIsNull(int column) const;
    [[nodiscard]] std::int64_t columnInt64(int column) const;
    [[nodiscard]] std::string columnText(int column) const;
    [[nodiscard]] base::Bytes columnBlob(int column) const;

private:
    explicit Statement(std::unique_ptr<detail::PreparedStatement> statement);
    [[nodiscard]] base::Result<void> checkBind(int rc, std::string_view what);

    std::unique_ptr<detail::PreparedStatement> m_statement;
};

} // namespace sealpost::store
