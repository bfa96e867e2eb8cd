#pragma once

#include <chrono>
#include <stop_token>

namespace sealpost::acme {

// Waiting between polls and before retries, injected so tests never really sleep.
class Sleeper {
public:
    virtual ~Sleeper() = default;
    // Waits `duration` or until `stop` is requested; false when it was.
    [[nodiscard]] virtual bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) = 0;
};

// Really waits (a condition variable woken by the stop token).
class ThreadSleeper final : public Sleeper {
public:
    [[nodiscard]] bool sleepFor(std::chrono::milliseconds duration, std::stop_token stop) override;
};

} // namespace sealpost::acme
