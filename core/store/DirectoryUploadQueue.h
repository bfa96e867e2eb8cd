#pragma once

#include "base/Bytes.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "store/Database.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

enum class UploadState { Queued, Done, Rejected };
[[nodiscard]] std::string_view uploadStateName(UploadState state) noexcept; // "queued"

// How we got a certificate we publish, as the directory's `provenance` parameter names it.
enum class UploadProvenance { Harvested, Self };
[[nodiscard]] std::string_view uploadProvenanceName(UploadProvenance provenance) noexcept; // "harvested"

// A row of directory_uploads.
struct UploadEntry {
    std::int64_t id = 0;
    std::string fingerprint;                // of the leaf
    std::vector<crypto::Certificate> chain; // leaf first, then intermediates
    UploadProvenance provenance = UploadProvenance::Harvested;
    UploadState state = UploadState::Queued;
    int attempts = 0;
    base::TimePoint nextAttempt;
    std::string lastError;       // "" when none
    std::string rejectionReason; // the directory's reason code when rejected
    base::TimePoint queuedAt;
};

struct UploadQueueCounts {
    std::int64_t queued = 0;
    std::int64_t done = 0;
    std::int64_t rejected = 0;
};

// Certificates waiting to be published to the directory (directory_uploads), one row per leaf
// fingerprint: queueing a certificate again changes nothing, whatever state it is in.
class DirectoryUploadQueue {
public:
    explicit DirectoryUploadQueue(Database& db) : m_db(db) {}

    // Queues `leaf` with its intermediates, due at `now`. true when it was new.
    [[nodiscard]] base::Result<bool> enqueue(const crypto::Certificate& leaf,
                                             std::span<const crypto::Certificate> intermediates,
                                             UploadProvenance provenance, base::TimePoint now);

    // Queued entries whose next attempt is at or before `now` (every queued one when `now` is
    // nullopt), oldest first, at most `limit`.
    [[nodiscard]] base::Result<std::vector<UploadEntry>> due(std::optional<base::TimePoint> now, std::size_t limit);
    // Every entry, oldest first.
    [[nodiscard]] base::Result<std::vector<UploadEntry>> list();
    [[nodiscard]] base::Result<std::optional<UploadEntry>> find(std::string_view fingerprint);

    // The directory has it (accepted or unchanged).
    [[nodiscard]] base::Result<void> markDone(std::int64_t id);
    // The directory refused it for good: no further attempts.
    [[nodiscard]] base::Result<void> markRejected(std::int64_t id, std::string_view reason, std::string_view detail);
    // The attempt failed for now: one more attempt counted, retried at `nextAttempt`.
    [[nodiscard]] base::Result<void> markFailed(std::int64_t id, std::string_view error, base::TimePoint nextAttempt);

    [[nodiscard]] base::Result<UploadQueueCounts> counts();

private:
    Database& m_db;
};

} // namespace sealpost::store
