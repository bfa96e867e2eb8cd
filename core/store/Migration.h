#pragma once

#include "base/Result.h"

#include <functional>
#include <span>
#include <string_view>

namespace sealpost::store {

class Database;

// One forward-only schema step. Step i (0-based) takes the schema from version i to i + 1.
struct Migration {
    std::string_view name;
    std::function<base::Result<void>(Database&)> apply;
};

// Applies the steps the database has not seen yet, each in its own transaction together with
// its `PRAGMA user_version` bump, so a failed step leaves the previous version intact.
// A database at a version beyond `steps` is Unsupported and is not touched.
[[nodiscard]] base::Result<void> migrate(Database& db, std::span<const Migration> steps);

} // namespace sealpost::store
