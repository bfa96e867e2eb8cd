#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "directory/DirectoryClient.h"
#include "store/Database.h"
#include "store/DirectoryUploadQueue.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::engine {

// The wait before the next attempt after `attempts` failed ones: 1 min, 10 min, 100 min, then
// hourly (docs/directory-client.md).
[[nodiscard]] std::chrono::seconds uploadBackoff(int attempts) noexcept;

enum class UploadResult {
    Accepted,    // the directory stored it
    Unchanged,   // the directory had it already
    Rejected,    // refused for good (reason): not tried again
    Failed,      // not now (network, server): tried again at nextAttempt
    RateLimited, // 429: tried again after the directory's Retry-After
};
[[nodiscard]] std::string_view uploadResultName(UploadResult result) noexcept; // "rate-limited"

struct UploadOutcome {
    std::int64_t id = 0;
    std::string fingerprint;
    std::string subject;
    store::UploadProvenance provenance = store::UploadProvenance::Harvested;
    UploadResult result = UploadResult::Failed;
    std::string reason; // Rejected: the directory's reason code
    std::string detail; // Rejected: its detail; Failed/RateLimited: the error
    std::optional<base::TimePoint> nextAttempt;
};

struct UploadProgress {
    std::size_t done = 0;
    std::size_t total = 0;
};

struct UploadRunOptions {
    bool all = false;         // every queued entry, not only those whose next attempt is due
    std::size_t limit = 1000; // entries per run
    std::function<void(const UploadProgress&)> onProgress; // after every entry
    std::function<bool()> cancelled;                       // asked between entries; true stops the run
};

struct UploadRunSummary {
    std::vector<UploadOutcome> outcomes; // one per entry tried, in queue order
    bool cancelled = false;
    // The run stopped early because the directory cannot be reached or asked to slow down; the
    // remaining entries stay due.
    std::optional<base::Error> stoppedBy;
};

// Uploads the due entries of the profile's upload queue, one submission each, and records each
// result in the queue. A 422 marks the entry rejected with the directory's reason; a 429 honours
// Retry-After; an unreachable or untrusted directory stops the run (the rest would fail alike).
// Errors: the store failed.
[[nodiscard]] base::Result<UploadRunSummary> uploadPending(store::Database& db, const base::Clock& clock,
                                                           directory::DirectoryClient& client,
                                                           const UploadRunOptions& options);

} // namespace sealpost::engine
