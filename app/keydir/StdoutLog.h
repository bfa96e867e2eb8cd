#pragma once

#include "keydir/Api.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace sealpost::keydir::app {

// The access log on standard output, buffered: lines are collected in memory and written at
// least once a second (and when the buffer grows large), so logging costs no system call per
// request.
class StdoutLog final : public LogSink {
public:
    StdoutLog();
    ~StdoutLog() override;
    StdoutLog(const StdoutLog&) = delete;
    StdoutLog& operator=(const StdoutLog&) = delete;

    void write(std::string_view line) override;
    void flush();

private:
    void flushLocked(std::unique_lock<std::mutex>& lock);

    std::mutex m_mutex;
    std::mutex m_writeMutex;
    std::condition_variable m_wake;
    std::string m_buffer;
    bool m_done = false;
    std::thread m_flusher;
};

} // namespace sealpost::keydir::app
