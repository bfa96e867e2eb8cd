#pragma once

#include "store/Migration.h"

#include <span>

namespace sealpost::store {

// Every migration of the profile schema, oldest first; the schema version is its size.
[[nodiscard]] std::span<const Migration> profileMigrations();

} // namespace sealpost::store
