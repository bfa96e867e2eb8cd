#pragma once

// Creating and migrating a PostgreSQL back end's schema. Include only from the back ends' .cpp
// files (it names db::Connection).

#include "base/Result.h"
#include "db/PgConnection.h"

#include <cstdint>
#include <span>

namespace sealpost::db {

// A schema and its history: migrations[i] takes version i to i + 1 (never edit a released
// entry); the version is recorded in the one-column table `versionTable`.
struct Schema {
    const char* versionTable;
    std::int64_t lockKey; // the advisory lock held while migrating: one per kind of store
    std::span<const char* const> migrations;
};

// Brings the database to the latest version in one transaction, holding the schema's advisory
// lock so that processes starting together take turns. Errors: Unsupported when the database's
// version is newer than migrations.size(), others from the connection.
[[nodiscard]] base::Result<void> migrate(Connection& connection, const Schema& schema);

// The version recorded in `versionTable` (0: none).
[[nodiscard]] base::Result<std::int64_t> schemaVersion(Connection& connection, const char* versionTable);

} // namespace sealpost::db
