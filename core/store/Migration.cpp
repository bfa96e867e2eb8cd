#include "store/Migration.h"

#include "store/Database.h"
#include "store/Transaction.h"

#include <cstdint>
#include <string>

namespace sealpost::store {
namespace {

base::Error newerSchema(std::int64_t found, std::int64_t known) {
    return base::makeError(base::ErrorCode::Unsupported, "database schema version " + std::to_string(found) +
                                                             " is newer than this program's " + std::to_string(known));
}

// Runs the step after `version` in one transaction. The version is re-read under the write lock
// so two processes opening the same profile cannot both apply a step.
base::Result<void> applyNext(Database& db, std::span<const Migration> steps) {
    auto tx = Transaction::begin(db);
    if (!tx) {
        return tx.error();
    }
    const auto version = db.schemaVersion();
    if (!version) {
        return version.error();
    }
    const auto known = static_cast<std::int64_t>(steps.size());
    if (*version > known) {
        return newerSchema(*version, known);
    }
    if (*version == known) {
        return tx->commit();
    }
    const Migration& step = steps[static_cast<std::size_t>(*version)];
    const std::string label =
        "migration to schema version " + std::to_string(*version + 1) + " (" + std::string(step.name) + ")";
    if (auto applied = step.apply(db); !applied) {
        return base::makeError(applied.error().code, label + ": " + applied.error().detail);
    }
    if (auto bumped = db.exec("PRAGMA user_version = " + std::to_string(*version + 1)); !bumped) {
        return bumped.error();
    }
    return tx->commit();
}

} // namespace

base::Result<void> migrate(Database& db, std::span<const Migration> steps) {
    const auto known = static_cast<std::int64_t>(steps.size());
    for (;;) {
        // Checked outside a transaction first so that an up-to-date open takes no write lock.
        const auto version = db.schemaVersion();
        if (!version) {
            return version.error();
        }
        if (*version > known) {
            return newerSchema(*version, known);
        }
        if (*version == known) {
            return {};
        }
        if (auto applied = applyNext(db, steps); !applied) {
            return applied;
        }
    }
}

} // namespace sealpost::store
