#include "engine/DirectoryUploader.h"

namespace sealpost::engine {

using base::ErrorCode;

namespace {

bool stopsTheRun(ErrorCode code) {
    return code == ErrorCode::Unreachable || code == ErrorCode::UntrustedServer || code == ErrorCode::Cancelled ||
           code == ErrorCode::InvalidArgument;
}

} // namespace

std::chrono::seconds uploadBackoff(int attempts) noexcept {
    using namespace std::chrono_literals;
    switch (attempts) {
    case 0:
    case 1: return 1min;
    case 2: return 10min;
    case 3: return 100min;
    default: return 60min;
    }
}

std::string_view uploadResultName(UploadResult result) noexcept {
    switch (result) {
    case UploadResult::Accepted: return "accepted";
    case UploadResult::Unchanged: return "unchanged";
    case UploadResult::Rejected: return "rejected";
    case UploadResult::Failed: return "failed";
    case UploadResult::RateLimited: return "rate-limited";
    }
    return "unknown";
}

base::Result<UploadRunSummary> uploadPending(store::Database& db, const base::Clock& clock,
                                             directory::DirectoryClient& client, const UploadRunOptions& options) {
    store::DirectoryUploadQueue queue(db);
    auto due = queue.due(options.all ? std::nullopt : std::optional<base::TimePoint>(clock.now()), options.limit);
    if (!due) {
        return due.error();
    }
    UploadRunSummary summary;
    UploadProgress progress{0, due->size()};
    for (const store::UploadEntry& entry : *due) {
        if (options.cancelled && options.cancelled()) {
            summary.cancelled = true;
            break;
        }
        UploadOutcome outcome;
        outcome.id = entry.id;
        outcome.fingerprint = entry.fingerprint;
        outcome.subject = entry.chain.front().subject();
        outcome.provenance = entry.provenance;
        auto submitted = client.submit(entry.chain, store::uploadProvenanceName(entry.provenance));
        base::Result<void> recorded;
        if (submitted && submitted->status != directory::SubmissionStatus::Rejected) {
            outcome.result = submitted->status == directory::SubmissionStatus::Accepted ? UploadResult::Accepted
                                                                                        : UploadResult::Unchanged;
            recorded = queue.markDone(entry.id);
        } else if (submitted) {
            outcome.result = UploadResult::Rejected;
            outcome.reason = submitted->reason;
            outcome.detail = submitted->detail;
            recorded = queue.markRejected(entry.id, submitted->reason, submitted->detail);
        } else if (submitted.error().code == ErrorCode::Cancelled) {
            summary.cancelled = true;
            break;
        } else {
            const base::TimePoint now = clock.now();
            const auto retryAfter = client.lastRetryAfter();
            outcome.result = retryAfter ? UploadResult::RateLimited : UploadResult::Failed;
            outcome.detail = submitted.error().detail;
            outcome.nextAttempt = now + (retryAfter ? *retryAfter : uploadBackoff(entry.attempts + 1));
            recorded = queue.markFailed(entry.id, submitted.error().detail, *outcome.nextAttempt);
            if (retryAfter || stopsTheRun(submitted.error().code)) {
                summary.stoppedBy = submitted.error();
            }
        }
        if (!recorded) {
            return recorded.error();
        }
        summary.outcomes.push_back(std::move(outcome));
        ++progress.done;
        if (options.onProgress) {
            options.onProgress(progress);
        }
        if (summary.stoppedBy) {
            break;
        }
    }
    return summary;
}

} // namespace sealpost::engine
