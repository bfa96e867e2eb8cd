#pragma once

#include "base/Result.h"

namespace sealpost::store {

class Database;

// BEGIN IMMEDIATE ... COMMIT. Takes the write lock up front so two writers fail fast (after the
// busy timeout) instead of deadlocking on a lock upgrade. Rolls back on destruction unless
// committed, including during stack unwinding.
//
// Begun while another transaction is open on the connection, it is a SAVEPOINT inside it: commit
// releases the savepoint (the outer transaction still decides), destruction rolls back to it. So
// a store method that writes atomically can also run as one step of a caller's larger batch.
class Transaction {
public:
    [[nodiscard]] static base::Result<Transaction> begin(Database& db);

    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    [[nodiscard]] base::Result<void> commit();

private:
    Transaction(Database& db, bool nested) : m_db(&db), m_nested(nested) {}

    Database* m_db; // nullptr once committed, rolled back or moved from
    bool m_nested = false;
};

} // namespace sealpost::store
