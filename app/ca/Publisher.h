#pragma once

#include "ca/Issuer.h"
#include "directory/DirectoryClient.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

namespace sealpost::ca::app {

// Publishes every issued certificate to sealpost-keydir as `enrolled`, on its own thread, so that
// issuance never waits for the directory. A failed publication is retried after 10 s, 100 s,
// then every 15 minutes; a refusal (the directory does not trust the CA, say) is logged and
// dropped. Pending publications live in memory: a restart loses them (docs/ca-server.md).
class Publisher {
public:
    using Log = std::function<void(std::string_view line)>;
    Publisher(directory::ClientOptions options, Log log);
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    // Thread-safe; returns at once.
    void enqueue(const IssuedCertificate& issued);

private:
    struct Pending {
        std::vector<crypto::Certificate> chain;
        int attempts = 0;
        std::chrono::steady_clock::time_point due;
    };
    void loop();
    [[nodiscard]] bool publish(const Pending& pending); // true: done (published or refused)

    directory::DirectoryClient m_client;
    Log m_log;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Pending> m_queue;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace sealpost::ca::app
