#include "store/Transaction.h"

#include "store/Database.h"

#include <string>
#include <string_view>
#include <utility>

namespace sealpost::store {

namespace {
// One name is enough: savepoints nest by position, and ROLLBACK TO/RELEASE act on the newest
// savepoint of that name.
constexpr std::string_view kSavepoint = "sealpost_nested";
} // namespace

base::Result<Transaction> Transaction::begin(Database& db) {
    const bool nested = db.inTransaction();
    const std::string sql = nested ? "SAVEPOINT " + std::string(kSavepoint) : std::string("BEGIN IMMEDIATE");
    if (auto begun = db.exec(sql); !begun) {
        return begun.error();
    }
    return Transaction(db, nested);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_nested(other.m_nested) {}

Transaction::~Transaction() {
    if (m_db == nullptr) {
        return;
    }
    // Nothing to report from a destructor; a failed ROLLBACK means sqlite already rolled back.
    if (m_nested) {
        (void)m_db->exec("ROLLBACK TO " + std::string(kSavepoint) + "; RELEASE " + std::string(kSavepoint));
    } else {
        (void)m_db->exec("ROLLBACK");
    }
}

base::Result<void> Transaction::commit() {
    if (m_db == nullptr) {
        return base::makeError(base::ErrorCode::InvalidArgument, "transaction already finished");
    }
    Database* db = std::exchange(m_db, nullptr);
    if (m_nested) {
        return db->exec("RELEASE " + std::string(kSavepoint));
    }
    if (auto committed = db->exec("COMMIT"); !committed) {
        // COMMIT can fail with SQLITE_BUSY and leave the transaction open: roll it back so the
        // connection is usable again and the caller sees all-or-nothing.
        (void)db->exec("ROLLBACK");
        return committed;
    }
    return {};
}

} // namespace sealpost::store
