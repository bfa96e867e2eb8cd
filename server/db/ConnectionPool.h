#pragma once

// A fixed set of database connections (of any kind: libpq, SQLite), each lent to one thread at a
// time.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace sealpost::db {

template <typename Connection> class ConnectionPool {
public:
    // Returns its connection to the pool when destroyed.
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
            : m_pool(&pool), m_connection(std::move(connection)) {}
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            if (m_connection) {
                m_pool->release(std::move(m_connection));
            }
        }
        Connection& operator*() const { return *m_connection; }
        Connection* operator->() const { return m_connection.get(); }

    private:
        ConnectionPool* m_pool;
        std::unique_ptr<Connection> m_connection;
    };

    explicit ConnectionPool(std::vector<std::unique_ptr<Connection>> connections) : m_idle(std::move(connections)) {}

    // Waits until a connection is free.
    [[nodiscard]] Lease acquire() {
        std::unique_lock lock(m_mutex);
        m_available.wait(lock, [this] { return !m_idle.empty(); });
        auto connection = std::move(m_idle.back());
        m_idle.pop_back();
        return Lease(*this, std::move(connection));
    }

private:
    void release(std::unique_ptr<Connection> connection) {
        {
            const std::lock_guard lock(m_mutex);
            m_idle.push_back(std::move(connection));
        }
        m_available.notify_one();
    }

    std::mutex m_mutex;
    std::condition_variable m_available;
    std::vector<std::unique_ptr<Connection>> m_idle;
};

} // namespace sealpost::db
