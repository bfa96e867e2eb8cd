#include "keydir/Metrics.h"

#include <cstdio>

namespace sealpost::keydir {
namespace {

constexpr std::array<const char*, endpointCount> endpointNames{"certs",  "can-encrypt", "lookup", "submit",
                                                               "health", "metrics",     "other"};

std::size_t statusIndex(int status) noexcept {
    for (std::size_t i = 0; i + 1 < Metrics::statuses.size(); ++i) {
        if (Metrics::statuses[i] == status) {
            return i;
        }
    }
    return Metrics::statuses.size() - 1;
}

// One sample: NAME{LABELS} VALUE (no braces when there are no labels).
void appendSample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

} // namespace

void Metrics::countRequest(Endpoint endpoint, int status, std::chrono::nanoseconds latency) noexcept {
    m_requests[static_cast<std::size_t>(endpoint)][statusIndex(status)].fetch_add(1, std::memory_order_relaxed);
    const double seconds = static_cast<double>(latency.count()) / 1e9;
    std::size_t bucket = 0;
    while (bucket < latencyBuckets.size() && seconds > latencyBuckets[bucket]) {
        ++bucket;
    }
    m_latency[bucket].fetch_add(1, std::memory_order_relaxed);
    m_latencySumNs.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

void Metrics::countRateLimited(bool perAddress) noexcept {
    m_rateLimited[perAddress ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::countSubmission(SubmissionResult result, RejectReason reason) noexcept {
    if (result == SubmissionResult::Rejected) {
        m_submissionsRejected[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    } else {
        m_submissionsKept[result == SubmissionResult::Accepted ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
    }
}

std::uint64_t Metrics::requests(Endpoint endpoint, int status) const noexcept {
    return m_requests[static_cast<std::size_t>(endpoint)][statusIndex(status)].load(std::memory_order_relaxed);
}

std::string Metrics::render(std::optional<std::int64_t> certificates) const {
    std::string out;
    out.reserve(8192);
    out += "# HELP keydir_requests_total Requests answered, by endpoint and status.\n"
           "# TYPE keydir_requests_total counter\n";
    for (std::size_t e = 0; e < endpointNames.size(); ++e) {
        for (std::size_t s = 0; s < statuses.size(); ++s) {
            const std::uint64_t n = m_requests[e][s].load(std::memory_order_relaxed);
            if (n == 0) {
                continue;
            }
            const std::string label = std::string("endpoint=\"") + endpointNames[e] + "\",status=\"" +
                                      (statuses[s] == 0 ? std::string("other") : std::to_string(statuses[s])) + "\"";
            appendSample(out, "keydir_requests_total", label, n);
        }
    }
    out += "# HELP keydir_request_duration_seconds Time from a parsed request to its answer.\n"
           "# TYPE keydir_request_duration_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= latencyBuckets.size(); ++b) {
        cumulative += m_latency[b].load(std::memory_order_relaxed);
        std::array<char, 32> le{'+', 'I', 'n', 'f'};
        if (b < latencyBuckets.size() && std::snprintf(le.data(), le.size(), "%g", latencyBuckets[b]) < 0) {
            le = {};
        }
        appendSample(out, "keydir_request_duration_seconds_bucket", std::string(R"(le=")") + le.data() + "\"",
                     cumulative);
    }
    std::array<char, 64> sum{'0'};
    if (std::snprintf(sum.data(), sum.size(), "%.9f",
                      static_cast<double>(m_latencySumNs.load(std::memory_order_relaxed)) / 1e9) < 0) {
        sum = {'0'};
    }
    out += std::string("keydir_request_duration_seconds_sum ") + sum.data() + "\n";
    appendSample(out, "keydir_request_duration_seconds_count", "", cumulative);

    out += "# HELP keydir_rate_limited_total Requests refused by a rate limit, by bucket kind.\n"
           "# TYPE keydir_rate_limited_total counter\n";
    appendSample(out, "keydir_rate_limited_total", "limit=\"client\"",
                 m_rateLimited[0].load(std::memory_order_relaxed));
    appendSample(out, "keydir_rate_limited_total", "limit=\"address\"",
                 m_rateLimited[1].load(std::memory_order_relaxed));

    out += "# HELP keydir_submissions_total Submitted certificates, by result and rejection reason.\n"
           "# TYPE keydir_submissions_total counter\n";
    appendSample(out, "keydir_submissions_total", "result=\"accepted\"",
                 m_submissionsKept[0].load(std::memory_order_relaxed));
    appendSample(out, "keydir_submissions_total", "result=\"unchanged\"",
                 m_submissionsKept[1].load(std::memory_order_relaxed));
    for (int r = 0; r < rejectReasonCount; ++r) {
        const std::string label = std::string(R"(result="rejected",reason=")") +
                                  std::string(rejectReasonName(static_cast<RejectReason>(r))) + "\"";
        appendSample(out, "keydir_submissions_total", label,
                     m_submissionsRejected[static_cast<std::size_t>(r)].load(std::memory_order_relaxed));
    }
    if (certificates) {
        out += "# HELP keydir_certificates Certificates stored (distinct fingerprints).\n"
               "# TYPE keydir_certificates gauge\n"
               "keydir_certificates " +
               std::to_string(*certificates) + "\n";
    }
    return out;
}

} // namespace sealpost::keydir
