#include "db/PgSchema.h"

#include <string>

namespace sealpost::db {

base::Result<std::int64_t> schemaVersion(Connection& connection, const char* versionTable) {
    const std::string sql = std::string("SELECT coalesce(max(version), 0) FROM ") + versionTable;
    auto result = connection.exec(sql.c_str(), "read schema version");
    if (!result) {
        return result.error();
    }
    return std::stoll(PQgetvalue(result->get(), 0, 0));
}

base::Result<void> migrate(Connection& connection, const Schema& schema) {
    auto transaction = Transaction::begin(connection);
    if (!transaction) {
        return transaction.error();
    }
    const std::string lock = "SELECT pg_advisory_xact_lock(" + std::to_string(schema.lockKey) + ")";
    if (auto locked = connection.exec(lock.c_str(), "lock schema"); !locked) {
        return locked.error();
    }
    const std::string table = schema.versionTable;
    const std::string create = "CREATE TABLE IF NOT EXISTS " + table + " (version bigint NOT NULL)";
    if (auto created = connection.exec(create.c_str(), "create " + table); !created) {
        return created.error();
    }
    auto version = schemaVersion(connection, schema.versionTable);
    if (!version) {
        return version.error();
    }
    const auto latest = static_cast<std::int64_t>(schema.migrations.size());
    if (*version > latest) {
        return base::makeError(base::ErrorCode::Unsupported, "database schema version " + std::to_string(*version) +
                                                                 " is newer than this program's " +
                                                                 std::to_string(latest));
    }
    if (*version == latest) {
        return transaction->commit();
    }
    for (auto next = static_cast<std::size_t>(*version); next < schema.migrations.size(); ++next) {
        if (auto done = connection.exec(schema.migrations[next], "migrate"); !done) {
            return done.error();
        }
    }
    const std::string record =
        "DELETE FROM " + table + "; INSERT INTO " + table + " (version) VALUES (" + std::to_string(latest) + ")";
    if (auto done = connection.exec(record.c_str(), "record schema version"); !done) {
        return done.error();
    }
    return transaction->commit();
}

} // namespace sealpost::db
