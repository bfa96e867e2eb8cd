#include "acme/Sleeper.h"

#include <condition_variable>
#include <mutex>

namespace sealpost::acme {

bool ThreadSleeper::sleepFor(std::chrono::milliseconds duration, std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wakeUp;
    std::unique_lock lock(mutex);
    // Nothing notifies the condition variable: it wakes on the timeout or on a stop request.
    static_cast<void>(wakeUp.wait_for(lock, stop, duration, [] { return false; }));
    return !stop.stop_requested();
}

} // namespace sealpost::acme
