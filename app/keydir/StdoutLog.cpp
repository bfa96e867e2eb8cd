#include "StdoutLog.h"

#include <chrono>
#include <cstdio>

namespace sealpost::keydir::app {

namespace {
constexpr std::size_t flushAt = std::size_t{64} * 1024;
}

StdoutLog::StdoutLog() {
    m_flusher = std::thread([this] {
        std::unique_lock lock(m_mutex);
        while (!m_done) {
            m_wake.wait_for(lock, std::chrono::seconds(1));
            flushLocked(lock);
        }
    });
}

StdoutLog::~StdoutLog() {
    {
        const std::lock_guard lock(m_mutex);
        m_done = true;
    }
    m_wake.notify_all();
    m_flusher.join();
    flush();
}

void StdoutLog::write(std::string_view line) {
    std::unique_lock lock(m_mutex);
    m_buffer.append(line);
    m_buffer.push_back('\n');
    if (m_buffer.size() >= flushAt) {
        flushLocked(lock);
    }
}

void StdoutLog::flush() {
    std::unique_lock lock(m_mutex);
    flushLocked(lock);
}

void StdoutLog::flushLocked(std::unique_lock<std::mutex>& lock) {
    if (m_buffer.empty()) {
        return;
    }
    std::string out;
    out.swap(m_buffer);
    const std::lock_guard writing(m_writeMutex); // keeps concurrent flushes in order
    lock.unlock();                               // requests keep logging while the bytes go out
    // A log that cannot be written (a closed pipe) must not stop the service: the lines are lost.
    (void)std::fwrite(out.data(), 1, out.size(), stdout);
    (void)std::fflush(stdout);
    lock.lock();
}

} // namespace sealpost::keydir::app
