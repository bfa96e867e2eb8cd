#include "engine/HarvestRun.h"

#include "store/Transaction.h"

#include <algorithm>
#include <functional>
#include <future>
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

    // Up to a chunk of messages (false once the source is exhausted).
    const auto readChunk = [&](std::vector<SourceMessage>& out) -> base::Result<bool> {
        std::size_t bytes = 0;
        while (out.size() < std::max<std::size_t>(1, options.chunkMessages) && bytes < options.chunkBytes) {
            auto next = source.next();
            if (!next) {
                return next.error();
            }
            if (!*next) {
                return false;
            }
            bytes += (*next)->data.size();
            out.push_back(std::move(**next));
        }
        return true;
    };

    // A pipeline of two chunks: while one is assessed on the worker threads, this thread reads the
    // next one and records the previous one. `current` is declared before `assessing`, so on an
    // early return the pending assessment finishes before the messages it reads are destroyed.
    std::vector<SourceMessage> current;
    auto more = readChunk(current);
    if (!more) {
        return more.error();
    }
    std::future<std::vector<Assessment>> assessing;
    if (!current.empty()) {
        assessing = std::async(std::launch::async, assessChunk, std::cref(harvester), std::ref(current), threads);
    }
    while (assessing.valid()) {
        std::vector<SourceMessage> next;
        base::Result<bool> nextMore = false;
        if (*more && !cancelled()) {
            nextMore = readChunk(next);
        }
        std::vector<Assessment> assessed = assessing.get();
        std::vector<SourceMessage> done = std::move(current);
        if (!nextMore) {
            if (auto committed = commitBatch(); !committed) {
                return committed.error();
            }
            return nextMore.error();
        }
        more = *nextMore;
        current = std::move(next);
        if (!current.empty() && !cancelled()) {
            assessing = std::async(std::launch::async, assessChunk, std::cref(harvester), std::ref(current), threads);
        }
        for (std::size_t i = 0; i < done.size(); ++i) {
            if (cancelled()) {
                break; // assessed but neither recorded nor reported
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
                options.onMessage(done[i], *recorded);
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
