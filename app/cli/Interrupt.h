#pragma once

#include <atomic>
#include <csignal>

namespace sealpost::cli {

// Set by SIGINT/SIGTERM while an InterruptGuard lives: long commands pass it to core as their
// cancel flag, stop after the current item and keep what they finished.
[[nodiscard]] const std::atomic<bool>& interruptFlag() noexcept;

// Installs the handlers (and clears the flag); the previous handlers come back afterwards.
class InterruptGuard {
public:
    InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
    InterruptGuard(InterruptGuard&&) = delete;
    InterruptGuard& operator=(InterruptGuard&&) = delete;
    ~InterruptGuard();

private:
    struct sigaction m_oldInt {};
    struct sigaction m_oldTerm {};
};

} // namespace sealpost::cli
