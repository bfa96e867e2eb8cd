#include "Publisher.h"

#include <algorithm>

namespace sealpost::ca::app {

namespace {

std::chrono::seconds retryDelay(int attempts) {
    switch (attempts) {
    case 1: return std::chrono::seconds(10);
    case 2: return std::chrono::seconds(100);
    default: return std::chrono::minutes(15);
    }
}

} // namespace

Publisher::Publisher(directory::ClientOptions options, Log log)
    : m_client(std::move(options)), m_log(std::move(log)), m_thread([this] { loop(); }) {}

Publisher::~Publisher() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void Publisher::enqueue(const IssuedCertificate& issued) {
    Pending pending;
    pending.chain.push_back(issued.leaf);
    pending.chain.insert(pending.chain.end(), issued.chain.begin(), issued.chain.end());
    pending.due = std::chrono::steady_clock::now();
    {
        const std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(pending));
    }
    m_wake.notify_all();
}

bool Publisher::publish(const Pending& pending) {
    const std::string what = "publish " + pending.chain.front().sha256Fingerprint().substr(0, 16);
    auto result = m_client.submit(pending.chain, "enrolled");
    if (!result) {
        m_log(what + ": " + std::string(base::errorCodeName(result.error().code)) + ": " + result.error().detail +
              " (will retry)");
        return false;
    }
    if (result->status == directory::SubmissionStatus::Rejected) {
        m_log(what + ": refused by the directory: " + result->reason + " " + result->detail);
        return true;
    }
    m_log(what + ": published");
    return true;
}

void Publisher::loop() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (m_stopping) {
            if (!m_queue.empty()) {
                m_log("stopping with " + std::to_string(m_queue.size()) + " certificate(s) not yet published");
            }
            return;
        }
        if (m_queue.empty()) {
            m_wake.wait(lock);
            continue;
        }
        const auto next = std::min_element(m_queue.begin(), m_queue.end(),
                                           [](const Pending& a, const Pending& b) { return a.due < b.due; });
        if (next->due > std::chrono::steady_clock::now()) {
            m_wake.wait_until(lock, next->due);
            continue;
        }
        Pending pending = std::move(*next);
        m_queue.erase(next);
        lock.unlock();
        const bool done = publish(pending);
        lock.lock();
        if (!done) {
            ++pending.attempts;
            pending.due = std::chrono::steady_clock::now() + retryDelay(pending.attempts);
            m_queue.push_back(std::move(pending));
        }
    }
}

} // namespace sealpost::ca::app
