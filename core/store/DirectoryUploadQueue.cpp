#include "store/DirectoryUploadQueue.h"

#include "store/Statement.h"

#include <chrono>

namespace sealpost::store {

namespace {

std::int64_t toSeconds(base::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

base::TimePoint fromSeconds(std::int64_t seconds) {
    return base::TimePoint(std::chrono::seconds(seconds));
}

constexpr const char* kColumns = "SELECT id, fingerprint, chain_der, provenance, state, attempts, next_attempt, "
                                 "COALESCE(last_error, ''), COALESCE(rejection_reason, ''), queued_at "
                                 "FROM directory_uploads ";

base::Result<UploadEntry> readEntry(const Statement& row) {
    UploadEntry e;
    e.id = row.columnInt64(0);
    e.fingerprint = row.columnText(1);
    const base::Bytes der = row.columnBlob(2);
    auto chain = crypto::Certificate::parseConcatenatedDer(der);
    if (!chain || chain->empty()) {
        return base::makeError(base::ErrorCode::MalformedInput,
                               "a queued certificate chain does not parse (" + e.fingerprint + ")");
    }
    e.chain = std::move(*chain);
    e.provenance = row.columnText(3) == "self" ? UploadProvenance::Self : UploadProvenance::Harvested;
    const std::string state = row.columnText(4);
    e.state = state == "done" ? UploadState::Done : state == "rejected" ? UploadState::Rejected : UploadState::Queued;
    e.attempts = static_cast<int>(row.columnInt64(5));
    e.nextAttempt = fromSeconds(row.columnInt64(6));
    e.lastError = row.columnText(7);
    e.rejectionReason = row.columnText(8);
    e.queuedAt = fromSeconds(row.columnInt64(9));
    return e;
}

base::Result<std::vector<UploadEntry>> readAll(Statement& select) {
    std::vector<UploadEntry> out;
    for (;;) {
        auto row = select.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        auto entry = readEntry(select);
        if (!entry) {
            return entry.error();
        }
        out.push_back(std::move(*entry));
    }
}

base::Result<void> runUpdate(Database& db, std::string_view sql, std::initializer_list<Statement::Value> values) {
    auto update = Statement::prepare(db, sql, values);
    if (!update) {
        return update.error();
    }
    return update->run();
}

} // namespace

std::string_view uploadStateName(UploadState state) noexcept {
    switch (state) {
    case UploadState::Queued: return "queued";
    case UploadState::Done: return "done";
    case UploadState::Rejected: return "rejected";
    }
    return "unknown";
}

std::string_view uploadProvenanceName(UploadProvenance provenance) noexcept {
    return provenance == UploadProvenance::Self ? "self" : "harvested";
}

base::Result<bool> DirectoryUploadQueue::enqueue(const crypto::Certificate& leaf,
                                                 std::span<const crypto::Certificate> intermediates,
                                                 UploadProvenance provenance, base::TimePoint now) {
    base::Bytes chainDer = leaf.der();
    for (const auto& c : intermediates) {
        const base::Bytes der = c.der();
        chainDer.insert(chainDer.end(), der.begin(), der.end());
    }
    auto insert =
        Statement::prepare(m_db, "INSERT OR IGNORE INTO directory_uploads (fingerprint, chain_der, "
                                 "provenance, state, next_attempt, queued_at) VALUES (?, ?, ?, 'queued', ?, ?)");
    if (!insert) {
        return insert.error();
    }
    const std::string fingerprint = leaf.sha256Fingerprint();
    for (const auto& bound : {insert->bindText(1, fingerprint), insert->bindBlob(2, chainDer),
                              insert->bindText(3, uploadProvenanceName(provenance)),
                              insert->bindInt64(4, toSeconds(now)), insert->bindInt64(5, toSeconds(now))}) {
        if (!bound) {
            return bound.error();
        }
    }
    if (auto done = insert->run(); !done) {
        return done.error();
    }
    return m_db.changes() > 0;
}

base::Result<std::vector<UploadEntry>> DirectoryUploadQueue::due(std::optional<base::TimePoint> now,
                                                                 std::size_t limit) {
    auto select = Statement::prepare(
        m_db, std::string(kColumns) + "WHERE state = 'queued' AND next_attempt <= ? ORDER BY id LIMIT ?",
        {now ? toSeconds(*now) : INT64_MAX, static_cast<std::int64_t>(limit)});
    if (!select) {
        return select.error();
    }
    return readAll(*select);
}

base::Result<std::vector<UploadEntry>> DirectoryUploadQueue::list() {
    auto select = Statement::prepare(m_db, std::string(kColumns) + "ORDER BY id");
    if (!select) {
        return select.error();
    }
    return readAll(*select);
}

base::Result<std::optional<UploadEntry>> DirectoryUploadQueue::find(std::string_view fingerprint) {
    auto select = Statement::prepare(m_db, std::string(kColumns) + "WHERE fingerprint = ?", {fingerprint});
    if (!select) {
        return select.error();
    }
    auto all = readAll(*select);
    if (!all) {
        return all.error();
    }
    return all->empty() ? std::optional<UploadEntry>() : std::optional<UploadEntry>(std::move(all->front()));
}

base::Result<void> DirectoryUploadQueue::markDone(std::int64_t id) {
    return runUpdate(m_db,
                     "UPDATE directory_uploads SET state = 'done', attempts = attempts + 1, last_error = NULL "
                     "WHERE id = ?",
                     {id});
}

base::Result<void> DirectoryUploadQueue::markRejected(std::int64_t id, std::string_view reason,
                                                      std::string_view detail) {
    return runUpdate(m_db,
                     "UPDATE directory_uploads SET state = 'rejected', attempts = attempts + 1, "
                     "rejection_reason = ?, last_error = ? WHERE id = ?",
                     {reason, detail, id});
}

base::Result<void> DirectoryUploadQueue::markFailed(std::int64_t id, std::string_view error,
                                                    base::TimePoint nextAttempt) {
    return runUpdate(m_db,
                     "UPDATE directory_uploads SET attempts = attempts + 1, last_error = ?, next_attempt = ? "
                     "WHERE id = ? AND state = 'queued'",
                     {error, toSeconds(nextAttempt), id});
}

base::Result<UploadQueueCounts> DirectoryUploadQueue::counts() {
    auto select = Statement::prepare(m_db, "SELECT COALESCE(SUM(state = 'queued'), 0), COALESCE(SUM(state = 'done'), "
                                           "0), COALESCE(SUM(state = 'rejected'), 0) FROM directory_uploads");
    if (!select) {
        return select.error();
    }
    auto row = select->step();
    if (!row) {
        return row.error();
    }
    return UploadQueueCounts{select->columnInt64(0), select->columnInt64(1), select->columnInt64(2)};
}

} // namespace sealpost::store
