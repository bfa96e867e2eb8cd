#pragma once

#include "base/Result.h"

namespace sealpost::store {

class Database;

// BEGIN IMMEDIATE ... COMMIT. Takes the write lock up front so two writers fail fast (after the
// busy timeout) instead of deadlocking on a lock upgrade. Rolls back on destruction unless
// committed, including during stack unwinding.
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
    explicit Transaction(Database& db) : m_db(&db) {}

    Database* m_db; // nullptr once committed, rolled back or moved from
};

} // namespace sealpost::store
