#include "engine/HarvestRun.h"

#include "store/Transaction.h"

#include <optional>
#include <utility>

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

} // namespace

base::Result<HarvestSummary> harvestAll(store::Database& db, Harvester& harvester, MessageSource& source,
                                        const HarvestRunOptions& options) {
    using Clock = std::chrono::steady_clock;
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

    while (true) {
        if (options.cancel != nullptr && options.cancel->load()) {
            summary.cancelled = true;
            break;
        }
        auto next = source.next();
        if (!next) {
            if (auto committed = commitBatch(); !committed) {
                return committed.error();
            }
            return next.error();
        }
        if (!*next) {
            break;
        }
        SourceMessage& message = **next;
        MessageHarvest result;
        if (!message.error.empty()) {
            result.verdict = HarvestVerdict::Unreadable;
            result.detail = message.error;
        } else {
            if (!batch) {
                auto begun = store::Transaction::begin(db);
                if (!begun) {
                    return begun.error();
                }
                batch.emplace(std::move(*begun));
            }
            auto harvested = harvester.harvest(std::move(message.data));
            if (!harvested) {
                return harvested.error(); // the open batch rolls back; earlier batches stay
            }
            result = std::move(*harvested);
            if (++inBatch >= options.batchSize) {
                if (auto committed = commitBatch(); !committed) {
                    return committed.error();
                }
            }
        }
        ++summary.messages;
        count(summary, result);
        if (options.onMessage) {
            options.onMessage(message, result);
        }
        report(false);
    }
    if (auto committed = commitBatch(); !committed) {
        return committed.error();
    }
    report(true);
    return summary;
}

} // namespace sealpost::engine
