#include "store/Transaction.h"

#include "store/Database.h"

#include <utility>

namespace sealpost::store {

base::Result<Transaction> Transaction::begin(Database& db) {
    if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
        return begun.error();
    }
    return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() {
    if (m_db != nullptr) {
        // Nothing to report from a destructor; a failed ROLLBACK means sqlite already rolled back.
        (void)m_db->exec("ROLLBACK");
    }
}

base::Result<void> Transaction::commit() {
    if (m_db == nullptr) {
        return base::makeError(base::ErrorCode::InvalidArgument, "transaction already finished");
    }
    Database* db = std::exchange(m_db, nullptr);
    if (auto committed = db->exec("COMMIT"); !committed) {
        // COMMIT can fail with SQLITE_BUSY and leave the transaction open: roll it back so the
        // connection is usable again and the caller sees all-or-nothing.
        (void)db->exec("ROLLBACK");
        return committed;
    }
    return {};
}

} // namespace sealpost::store
