#pragma once

// Reading a service's database setting: a SQLite path or a PostgreSQL URL.

#include <string>
#include <string_view>

namespace sealpost::db {

enum class DatabaseKind { Sqlite, Postgres, Unknown };

struct DatabaseUrl {
    DatabaseKind kind = DatabaseKind::Unknown;
    std::string target; // the SQLite path, or the libpq connection URI as given
};

// "postgresql://..." / "postgres://..." -> Postgres; "sqlite:PATH" or a plain PATH -> Sqlite;
// any other "scheme://" (or "scheme:" with a scheme of two or more letters) -> Unknown.
[[nodiscard]] DatabaseUrl parseDatabaseUrl(std::string_view url);

// The URL with any password replaced by "***" (user:PASSWORD@ and password=... parameters), for
// error messages and logs.
[[nodiscard]] std::string redactPassword(std::string_view url);

// `text` (an error message that may quote the URL) with the URL's password replaced by "***".
[[nodiscard]] std::string scrubPassword(std::string_view text, std::string_view url);

} // namespace sealpost::db
