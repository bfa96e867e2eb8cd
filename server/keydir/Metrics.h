#pragma once

#include "keydir/Validation.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sealpost::keydir {

// What /metrics counts, by route family (never by address).
enum class Endpoint { Certs, CanEncrypt, Lookup, Submit, Health, Metrics, Other };
inline constexpr int endpointCount = 7;

enum class SubmissionResult { Accepted, Unchanged, Rejected };

// Counters for the Prometheus text format. Lock-free: every counter is an atomic, so request
// threads never wait on each other to count.
class Metrics {
public:
    void countRequest(Endpoint endpoint, int status, std::chrono::nanoseconds latency) noexcept;
    void countRateLimited(bool perAddress) noexcept;
    void countSubmission(SubmissionResult result, RejectReason reason) noexcept;

    // The exposition text; `certificates` is the store's count when it answered.
    [[nodiscard]] std::string render(std::optional<std::int64_t> certificates) const;

    [[nodiscard]] std::uint64_t requests(Endpoint endpoint, int status) const noexcept;

    static constexpr std::array<int, 16> statuses{200, 201, 304, 400, 403, 404, 405, 406,
                                                  411, 413, 415, 422, 429, 500, 503, 0};
    static constexpr std::array<double, 12> latencyBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                           0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

private:
    using Counter = std::atomic<std::uint64_t>;
    std::array<std::array<Counter, statuses.size()>, endpointCount> m_requests{};
    std::array<Counter, latencyBuckets.size() + 1> m_latency{}; // the last one is +Inf
    Counter m_latencySumNs{0};
    std::array<Counter, 2> m_rateLimited{};
    std::array<Counter, 2> m_submissionsKept{}; // accepted, unchanged
    std::array<Counter, rejectReasonCount> m_submissionsRejected{};
};

} // namespace sealpost::keydir
