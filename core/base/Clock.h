#pragma once

#include <chrono>

namespace sealpost::base {

using TimePoint = std::chrono::system_clock::time_point;

// Injected wherever "now" matters (validity checks, signingTime) so tests can fix it.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

class FixedClock final : public Clock {
public:
    explicit FixedClock(TimePoint t) : m_time(t) {}
    [[nodiscard]] TimePoint now() const override { return m_time; }

private:
    TimePoint m_time;
};

} // namespace sealpost::base
