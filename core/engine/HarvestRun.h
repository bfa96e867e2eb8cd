#pragma once

#include "base/Result.h"
#include "engine/Harvester.h"
#include "engine/MessageSource.h"
#include "store/Database.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace sealpost::engine {

struct HarvestProgress {
    std::size_t messages = 0;  // read so far
    std::size_t harvested = 0; // messages that taught us a certificate
    std::uint64_t bytesRead = 0;
    std::uint64_t bytesTotal = 0; // 0 when unknown
};

struct HarvestRunOptions {
    // Called from the harvesting thread at most every progressInterval, and once at the end.
    std::function<void(const HarvestProgress&)> onProgress;
    std::chrono::milliseconds progressInterval{500};
    // Called for every message, in order (label, result; the message data is gone by then).
    std::function<void(const SourceMessage&, const MessageHarvest&)> onMessage;
    // Checked between messages; set it from any thread to stop after the current message.
    const std::atomic<bool>* cancel = nullptr;
    // Messages per transaction. Each message is atomic on its own (a savepoint); a batch makes the
    // durable commit (an fsync) once per batch instead of once per message. A crash loses at most
    // the batch in progress, and harvesting again repeats it without duplicates.
    std::size_t batchSize = 200;
    // Threads that open and verify messages (the database is written by the calling thread only).
    // 0: one per hardware thread. Messages are taken in chunks of up to chunkMessages messages or
    // chunkBytes bytes, so memory stays bounded whatever the mailbox size.
    unsigned threads = 0;
    std::size_t chunkMessages = 64;
    std::size_t chunkBytes = std::size_t{32} << 20;
};

struct HarvestSummary {
    std::size_t messages = 0;
    std::array<std::size_t, 9> verdicts{}; // indexed by HarvestVerdict
    std::size_t inserted = 0;              // certificates new to the profile
    std::size_t updated = 0;               // known certificates with newer attributes
    std::size_t unchanged = 0;             // known certificates seen again
    std::size_t certificateChanges = 0;    // "certificate-changed" events recorded
    bool cancelled = false;

    [[nodiscard]] std::size_t count(HarvestVerdict v) const { return verdicts.at(static_cast<std::size_t>(v)); }
};

// Harvests every message of `source` into the profile, in the source's order (results, callbacks
// and writes follow it whatever the thread count). Errors: the source failed (Io) or the store did;
// everything committed before stays.
[[nodiscard]] base::Result<HarvestSummary> harvestAll(store::Database& db, Harvester& harvester, MessageSource& source,
                                                      const HarvestRunOptions& options);

} // namespace sealpost::engine
