#include "engine/HarvestRun.h"

#include "store/Transaction.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace sealpost::engine {

namespace {

void count(HarvestSummary& summary, const MessageHarvest& h) {
    ++summary.verdicts.at(static_cast<std::size_t>(h.verdict));
    for (const auto& l : h.learned) {
        switch (l.action) {
        case store::UpsertAction::Inserted: ++summary.inserted; break;
        case store::UpsertAction::UpdatedAttributes: ++summary.updated; break;
        case store::UpsertAction::TouchedLastSeen: ++summary.unchanged; break;
        }
        summary.certificateChanges += l.certificateChanged ? 1 : 0;
    }
}

// Runs harvester.assess() over a chunk on `threads` threads (the calling thread is one of them).
std::vector<Assessment> assessChunk(const Harvester& harvester, std::vector<SourceMessage>& chunk, unsigned threads) {
    std::vector<Assessment> out(chunk.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < chunk.size(); i = next++) {
            if (chunk[i].error.empty()) {
                out[i] = harvester.assess(std::move(chunk[i].data));
            } else {
                out[i].harvest.verdict = HarvestVerdict::Unreadable;
                out[i].harvest.detail = chunk[i].error;
            }
        }
    };
    std::vector<std::jthread> helpers;
    const unsigned extra = std::min<unsigned>(threads, static_cast<unsigned>(chunk.size())) - 1;
    helpers.reserve(extra);
    for (unsigned t = 0; t < extra; ++t) {
        helpers.emplace_back(work);
    }
    work();
    return out; // the jthreads join on destruction, before `out` is read by the caller
}

} // namespace

base::Result<HarvestSummary> harvestAll(store::Database& db, Harvester& harvester, MessageSource& source,
                                        const HarvestRunOptions& options) {
    using Clock = std::chrono::steady_clock;
    const unsigned threads = std::max(1U, options.threads != 0 ? options.threads : std::thread::hardware_concurrency());
    HarvestSummary summary;
    HarvestProgress progress;
    auto lastReport = Clock::now();
    const auto report = [&](bool force) {
        if (!options.onProgress) {
            return;
        }
        const auto now = Clock::now();
        if (force || now - lastReport >= options.progressInterval) {
            lastReport = now;
            progress.messages = summary.messages;
            progress.harvested = summary.count(HarvestVerdict::Harvested);
            progress.bytesRead = source.bytesRead();
            progress.bytesTotal = source.bytesTotal();
            options.onProgress(progress);
        }
    };

    std::optional<store::Transaction> batch;
    std::size_t inBatch = 0;
    const auto commitBatch = [&]() -> base::Result<void> {
        if (!batch) {
            return {};
        }
        auto committed = batch->commit();
        batch.reset();
        inBatch = 0;
        return committed;
    };
    const auto cancelled = [&] { return options.cancel != nullptr && options.cancel->load(); };

    bool atEnd = false;
    while (!atEnd && !cancelled()) {
        std::vector<SourceMessage> chunk;
        std::size_t chunkBytes = 0;
        while (chunk.size() < std::max<std::size_t>(1, options.chunkMessages) && chunkBytes < options.chunkBytes) {
            auto next = source.next();
            if (!next) {
                if (auto committed = commitBatch(); !committed) {
                    return committed.error();
                }
                return next.error();
            }
            if (!*next) {
                atEnd = true;
                break;
            }
            chunkBytes += (*next)->data.size();
            chunk.push_back(std::move(**next));
        }
        std::vector<Assessment> assessed = assessChunk(harvester, chunk, threads);
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            if (cancelled()) {
                break; // the rest of the chunk was assessed but is not recorded or reported
            }
            if (!batch) {
                auto begun = store::Transaction::begin(db);
                if (!begun) {
                    return begun.error();
                }
                batch.emplace(std::move(*begun));
            }
            auto recorded = harvester.record(std::move(assessed[i]));
            if (!recorded) {
                return recorded.error(); // the open batch rolls back; earlier batches stay
            }
            if (++inBatch >= options.batchSize) {
                if (auto committed = commitBatch(); !committed) {
                    return committed.error();
                }
            }
            ++summary.messages;
            count(summary, *recorded);
            if (options.onMessage) {
                options.onMessage(chunk[i], *recorded);
            }
            report(false);
        }
    }
    summary.cancelled = cancelled();
    if (auto committed = commitBatch(); !committed) {
        return committed.error();
    }
    report(true);
    return summary;
}

} // namespace sealpost::engine
