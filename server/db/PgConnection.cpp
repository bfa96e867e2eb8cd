#include "db/PgConnection.h"

#include "db/DatabaseUrl.h"

#include <array>
#include <cstddef>
#include <string>

namespace sealpost::db {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr const char* kConnectTimeoutSeconds = "10"; // unless the URI says otherwise

void ignoreNotice(void* /*arg*/, const char* /*message*/) {} // no printing from a library

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

ErrorCode codeForState(std::string_view state) {
    const std::string_view stateClass = state.substr(0, 2);
    if (stateClass == "08" || state == "57P01" || state == "57P02" || state == "57P03") {
        return ErrorCode::Unreachable; // connection exceptions, server shutting down
    }
    if (stateClass == "40" || stateClass == "53" || state == "55P03" || state == "57014") {
        return ErrorCode::TemporaryFailure; // serialization, resources, lock timeout, cancelled
    }
    if (stateClass == "28") {
        return ErrorCode::AuthFailed;
    }
    if (stateClass == "23") {
        return ErrorCode::InvalidArgument; // integrity constraint violated, as SQLite reports it
    }
    return ErrorCode::Io;
}

} // namespace

base::Error Connection::error(const PGresult* result, std::string_view context) const {
    std::string detail(context);
    detail += ": ";
    if (PQstatus(conn) != CONNECTION_OK) {
        return makeError(ErrorCode::Unreachable,
                         detail + "lost the connection to PostgreSQL: " + trimmed(PQerrorMessage(conn)));
    }
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    detail += trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn));
    if (state != nullptr) {
        detail += " (SQLSTATE " + std::string(state) + ")";
    }
    return makeError(state != nullptr ? codeForState(state) : ErrorCode::Io, std::move(detail));
}

base::Result<PgResult> Connection::exec(const char* sql, std::string_view context) {
    PgResult result(PQexec(conn, sql));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        return error(result.get(), context);
    }
    return result;
}

base::Result<void> Connection::ready(std::span<const PreparedStatement> statements) {
    if (PQstatus(conn) != CONNECTION_OK) {
        PQreset(conn);
        prepared = false;
        sessionObjectsReady = false;
        if (PQstatus(conn) != CONNECTION_OK) {
            return error(nullptr, "reconnect"); // Unreachable, with libpq's reason
        }
    }
    if (!prepared) {
        for (const auto& statement : statements) {
            PgResult result(PQprepare(conn, statement.name, statement.sql.c_str(), 0, nullptr));
            if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
                return error(result.get(), std::string("prepare ") + statement.name);
            }
        }
        prepared = true;
    }
    return {};
}

base::Result<PgResult> Params::run(Connection& connection, const char* name, std::string_view context) const {
    std::vector<const char*> values;
    std::vector<int> lengths;
    values.reserve(m_storage.size());
    lengths.reserve(m_storage.size());
    for (const auto& value : m_storage) {
        values.push_back(value ? value->data() : nullptr);
        lengths.push_back(value ? static_cast<int>(value->size()) : 0);
    }
    PgResult result(PQexecPrepared(connection.conn, name, static_cast<int>(values.size()), values.data(),
                                   lengths.data(), m_binary.data(), 1));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        return connection.error(result.get(), context);
    }
    return result;
}

base::Result<PgResult> Params::runIdempotent(Connection& connection, std::span<const PreparedStatement> statements,
                                             const char* name, std::string_view context) const {
    auto result = run(connection, name, context);
    if (result.ok() || PQstatus(connection.conn) == CONNECTION_OK) {
        return result;
    }
    if (auto usable = connection.ready(statements); !usable) {
        return usable.error();
    }
    return run(connection, name, context);
}

std::string textArray(std::span<const std::string> values) {
    std::string out = "{";
    for (const auto& value : values) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (const char c : value) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::int64_t binaryInt64(const PGresult* result, int row, int column) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
        value = (value << 8) | data[i];
    }
    return static_cast<std::int64_t>(value);
}

std::string binaryText(const PGresult* result, int row, int column) {
    return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
}

base::Bytes binaryBytes(const PGresult* result, int row, int column) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    return {data, data + PQgetlength(result, row, column)};
}

std::int64_t changedRows(PGresult* result) {
    const char* count = PQcmdTuples(result);
    return count != nullptr && *count != '\0' ? std::stoll(count) : 0;
}

base::Result<std::unique_ptr<Connection>> connect(const std::string& uri, const char* applicationName) {
    const std::string redacted = redactPassword(uri);
    char* parseError = nullptr;
    PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parseError);
    if (options == nullptr) {
        std::string detail = "invalid PostgreSQL URL " + redacted + ": " + trimmed(parseError);
        PQfreemem(parseError);
        return makeError(ErrorCode::InvalidArgument, scrubPassword(detail, uri));
    }
    PQconninfoFree(options);
    // Our defaults first: values in the URI (expanded from dbname) override them.
    const std::array<const char*, 4> keywords = {"connect_timeout", "application_name", "dbname", nullptr};
    const std::array<const char*, 4> values = {kConnectTimeoutSeconds, applicationName, uri.c_str(), nullptr};
    auto connection = std::make_unique<Connection>();
    connection->conn = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (connection->conn == nullptr) {
        return makeError(ErrorCode::Io, "out of memory connecting to PostgreSQL");
    }
    PQsetNoticeProcessor(connection->conn, ignoreNotice, nullptr);
    if (PQstatus(connection->conn) != CONNECTION_OK) {
        const std::string message = trimmed(PQerrorMessage(connection->conn));
        ErrorCode code = ErrorCode::Unreachable;
        if (message.find("password") != std::string::npos || message.find("authentication") != std::string::npos) {
            code = ErrorCode::AuthFailed;
        } else if (message.find("does not exist") != std::string::npos) {
            code = ErrorCode::NotFound;
        }
        return makeError(code, scrubPassword("cannot connect to " + redacted + ": " + message, uri));
    }
    return connection;
}

} // namespace sealpost::db
