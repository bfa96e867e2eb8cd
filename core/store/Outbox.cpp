#include "store/Outbox.h"

#include "store/Statement.h"
#include "store/Transaction.h"

#include <array>
#include <initializer_list>
#include <limits>
#include <variant>

namespace sealpost::store {

using base::ErrorCode;

namespace {

using Value = Statement::Value;

// last_error of a message held as unconfirmed (followed by what broke off).
constexpr std::string_view kHeldReason = "the connection broke after the whole message had been sent; the server "
                                         "probably has it; held, not sent again";
// last_error of one whose process died after committing data_complete: the end-of-data marker may
// or may not have gone out (that commit comes right before it).
constexpr std::string_view kHeldAfterCrash = "was interrupted at the end of the message; the server may have it; "
                                             "held, not sent again";

// Runs an UPDATE and tells whether it changed a row.
base::Result<bool> update(Database& db, std::string_view sql, std::initializer_list<Value> values) {
    auto st = Statement::prepare(db, sql, values);
    if (!st) {
        return st.error();
    }
    if (auto ran = st->run(); !ran) {
        return ran.error();
    }
    return db.changes() > 0;
}

base::Result<void> expectChanged(base::Result<bool> changed, std::int64_t id, std::string_view from) {
    if (!changed) {
        return changed.error();
    }
    if (!*changed) {
        return base::makeError(ErrorCode::InvalidArgument,
                               "outbox message " + std::to_string(id) + " is not in state '" + std::string(from) + "'");
    }
    return base::Ok{};
}

std::optional<OutboxState> parseState(std::string_view s) {
    static constexpr std::array<OutboxState, 6> kAll{OutboxState::Queued, OutboxState::Sending,
                                                     OutboxState::Sent,   OutboxState::Failed,
                                                     OutboxState::Done,   OutboxState::Unconfirmed};
    for (const auto state : kAll) {
        if (outboxStateName(state) == s) {
            return state;
        }
    }
    return std::nullopt;
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        if (end > start) {
            out.push_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

constexpr std::string_view kColumns =
    "id, account_id, message_id, envelope_from, envelope_to, state, attempts, next_attempt, last_error, queued_at, "
    "sent_at, data_complete, unknown_outcomes, copy, sent_copy IS NOT NULL";

base::Result<OutboxMessage> readRow(const Statement& st) {
    OutboxMessage m;
    m.id = st.columnInt64(0);
    m.accountId = st.columnInt64(1);
    m.messageId = st.columnText(2);
    m.envelopeFrom = st.columnText(3);
    m.envelopeTo = splitLines(st.columnText(4));
    const auto state = parseState(st.columnText(5));
    if (!state) {
        return base::makeError(ErrorCode::MalformedInput, "outbox message " + std::to_string(m.id) +
                                                              " has an unknown state '" + st.columnText(5) + "'");
    }
    m.state = *state;
    m.attempts = static_cast<int>(st.columnInt64(6));
    m.nextAttempt = st.columnInt64(7);
    m.lastError = st.columnIsNull(8) ? std::string() : st.columnText(8);
    m.queuedAt = st.columnInt64(9);
    if (!st.columnIsNull(10)) {
        m.sentAt = st.columnInt64(10);
    }
    m.dataComplete = st.columnInt64(11) != 0;
    m.unknownOutcomes = static_cast<int>(st.columnInt64(12));
    m.copy = st.columnText(13);
    m.hasSentCopy = st.columnInt64(14) != 0;
    return m;
}

base::Result<std::vector<OutboxMessage>> queryMessages(Database& db, std::string_view where,
                                                       std::initializer_list<Value> values, bool withRaw) {
    const std::string sql =
        "SELECT " + std::string(kColumns) + (withRaw ? ", raw, sent_copy" : "") + " FROM outbox " + std::string(where);
    auto st = Statement::prepare(db, sql, values);
    if (!st) {
        return st.error();
    }
    std::vector<OutboxMessage> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        auto m = readRow(*st);
        if (!m) {
            return m.error();
        }
        if (withRaw) {
            const auto raw = st->columnBlob(15);
            m->raw.assign(raw.begin(), raw.end());
            if (!st->columnIsNull(16)) {
                const auto sent = st->columnBlob(16);
                m->sentCopy.assign(sent.begin(), sent.end());
            }
        }
        out.push_back(std::move(m).value());
    }
    return out;
}

base::Result<std::vector<std::int64_t>> queryIds(Database& db, std::string_view sql,
                                                 std::initializer_list<Value> values) {
    auto st = Statement::prepare(db, sql, values);
    if (!st) {
        return st.error();
    }
    std::vector<std::int64_t> out;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(st->columnInt64(0));
    }
}

} // namespace

std::string_view outboxStateName(OutboxState s) noexcept {
    switch (s) {
    case OutboxState::Queued: return "queued";
    case OutboxState::Sending: return "sending";
    case OutboxState::Sent: return "sent";
    case OutboxState::Failed: return "failed";
    case OutboxState::Done: return "done";
    case OutboxState::Unconfirmed: return "unconfirmed";
    }
    return "queued";
}

std::chrono::seconds retryDelay(int attempts) noexcept {
    using std::chrono::minutes;
    switch (attempts) {
    case 0:
    case 1: return minutes(1);
    case 2: return minutes(10);
    case 3: return minutes(100);
    default: return minutes(60);
    }
}

std::int64_t Outbox::now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch()).count();
}

base::Result<QueueOutcome> Outbox::queue(std::int64_t accountId, std::string_view messageId, std::string_view raw,
                                         std::string_view envelopeFrom, const std::vector<std::string>& envelopeTo) {
    return queue(accountId, QueueRequest{.messageId = messageId,
                                         .raw = raw,
                                         .envelopeFrom = envelopeFrom,
                                         .envelopeTo = envelopeTo,
                                         .copy = {},
                                         .sentCopy = std::nullopt});
}

base::Result<QueueOutcome> Outbox::queue(std::int64_t accountId, const QueueRequest& request) {
    if (request.messageId.empty() || request.envelopeTo.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "an outbox message needs a Message-ID and a recipient");
    }
    if (!request.copy.empty() && (!request.copy.starts_with("bcc:") || request.copy.size() == 4)) {
        return base::makeError(ErrorCode::InvalidArgument,
                               R"(an outbox copy is "" or "bcc:ADDRESS", not ")" + std::string(request.copy) + "\"");
    }
    std::string to;
    for (const auto& r : request.envelopeTo) {
        to += r + "\n";
    }
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    auto existing =
        queryIds(m_db, "SELECT id FROM outbox WHERE message_id = ? AND copy = ?", {request.messageId, request.copy});
    if (!existing) {
        return existing.error();
    }
    if (!existing->empty()) {
        return QueueOutcome{existing->front(), false};
    }
    auto insert = Statement::prepare(
        m_db,
        "INSERT INTO outbox (account_id, message_id, copy, raw, sent_copy, envelope_from, envelope_to, state, "
        "attempts, next_attempt, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
        {accountId, request.messageId, request.copy, nullptr, nullptr, request.envelopeFrom, std::string_view(to),
         now(), now()});
    if (!insert) {
        return insert.error();
    }
    if (auto bound = insert->bindBlob(4, base::asBytes(request.raw)); !bound) {
        return bound.error();
    }
    if (request.sentCopy) {
        if (auto bound = insert->bindBlob(5, base::asBytes(*request.sentCopy)); !bound) {
            return bound.error();
        }
    }
    if (auto ran = insert->run(); !ran) {
        return ran.error();
    }
    const std::int64_t id = m_db.lastInsertRowId();
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return QueueOutcome{id, true};
}

base::Result<std::vector<OutboxMessage>> Outbox::list() const {
    return queryMessages(m_db, "ORDER BY queued_at, id", {}, false);
}

base::Result<OutboxMessage> Outbox::get(std::int64_t id) const {
    auto found = queryMessages(m_db, "WHERE id = ?", {id}, true);
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return base::makeError(ErrorCode::NotFound, "no outbox message " + std::to_string(id));
    }
    return std::move(found->front());
}

base::Result<OutboxMessage> Outbox::findByMessageId(std::string_view messageId) const {
    auto found = copiesOf(messageId);
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return base::makeError(ErrorCode::NotFound, "no outbox message " + std::string(messageId));
    }
    return std::move(found->front());
}

base::Result<std::vector<OutboxMessage>> Outbox::copiesOf(std::string_view messageId) const {
    return queryMessages(m_db, "WHERE message_id = ? ORDER BY copy <> '', id", {messageId}, false);
}

base::Result<std::vector<OutboxMessage>> Outbox::due(bool ignoreSchedule) const {
    return queryMessages(m_db, "WHERE state = 'queued' AND next_attempt <= ? ORDER BY account_id, queued_at, id",
                         {ignoreSchedule ? std::numeric_limits<std::int64_t>::max() : now()}, false);
}

base::Result<std::vector<std::int64_t>> Outbox::unfiled() const {
    return queryIds(m_db, "SELECT id FROM outbox WHERE state = 'sent' ORDER BY account_id, sent_at, id", {});
}

base::Result<std::vector<OutboxMessage>> Outbox::unconfirmed() const {
    return queryMessages(m_db, "WHERE state = 'unconfirmed' ORDER BY queued_at, id", {}, false);
}

base::Result<bool> Outbox::claim(std::int64_t id, std::string_view owner) {
    return update(m_db,
                  "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?, data_complete = 0 "
                  "WHERE id = ? AND state = 'queued'",
                  {owner, id});
}

base::Result<void> Outbox::markDataComplete(std::int64_t id) {
    return expectChanged(update(m_db, "UPDATE outbox SET data_complete = 1 WHERE id = ? AND state = 'sending'", {id}),
                         id, "sending");
}

base::Result<void> Outbox::markSent(std::int64_t id) {
    return expectChanged(update(m_db,
                                "UPDATE outbox SET state = 'sent', sent_at = ?, data_complete = 0 "
                                "WHERE id = ? AND state = 'sending'",
                                {now(), id}),
                         id, "sending");
}

base::Result<void> Outbox::markFiled(std::int64_t id) {
    return expectChanged(
        update(m_db, "UPDATE outbox SET state = 'done', claimed_by = NULL WHERE id = ? AND state = 'sent'", {id}), id,
        "sent");
}

base::Result<bool> Outbox::claimFiling(std::int64_t id, std::string_view owner,
                                       const std::function<bool(std::string_view owner)>& ownerAlive) {
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    auto st = Statement::prepare(m_db, "SELECT claimed_by FROM outbox WHERE id = ? AND state = 'sent'");
    if (!st) {
        return st.error();
    }
    if (auto b = st->bindInt64(1, id); !b) {
        return b.error();
    }
    auto row = st->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return false; // filed meanwhile, or never sent
    }
    const std::string holder = st->columnIsNull(0) ? std::string() : st->columnText(0);
    if (!holder.empty() && holder != owner && ownerAlive(holder)) {
        return false;
    }
    if (auto changed = update(m_db, "UPDATE outbox SET claimed_by = ? WHERE id = ? AND state = 'sent'", {owner, id});
        !changed) {
        return changed.error();
    }
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return true;
}

base::Result<void> Outbox::retryLater(std::int64_t id, std::string_view error) {
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    auto message = get(id);
    if (!message) {
        return message.error();
    }
    const std::int64_t next = now() + retryDelay(message->attempts).count();
    if (auto ok = expectChanged(update(m_db,
                                       "UPDATE outbox SET state = 'queued', next_attempt = ?, last_error = ?, "
                                       "claimed_by = NULL, data_complete = 0 WHERE id = ? AND state = 'sending'",
                                       {next, error, id}),
                                id, "sending");
        !ok) {
        return ok;
    }
    return tx->commit();
}

base::Result<void> Outbox::holdUnconfirmed(std::int64_t id, std::string_view error) {
    const std::string why = std::string(kHeldReason) + (error.empty() ? "" : ": ") + std::string(error);
    return expectChanged(update(m_db,
                                "UPDATE outbox SET state = 'unconfirmed', last_error = ?, claimed_by = NULL, "
                                "data_complete = 0, unknown_outcomes = unknown_outcomes + 1 "
                                "WHERE id = ? AND state = 'sending'",
                                {std::string_view(why), id}),
                         id, "sending");
}

base::Result<void> Outbox::fail(std::int64_t id, std::string_view error) {
    return expectChanged(update(m_db,
                                "UPDATE outbox SET state = 'failed', last_error = ?, claimed_by = NULL, "
                                "data_complete = 0 WHERE id = ? AND state = 'sending'",
                                {error, id}),
                         id, "sending");
}

base::Result<void> Outbox::confirm(std::int64_t id) {
    return expectChanged(update(m_db,
                                "UPDATE outbox SET state = 'sent', sent_at = ?, claimed_by = NULL "
                                "WHERE id = ? AND state = 'unconfirmed'",
                                {now(), id}),
                         id, "unconfirmed");
}

base::Result<void> Outbox::requeue(std::int64_t id) {
    return expectChanged(update(m_db,
                                "UPDATE outbox SET state = 'queued', next_attempt = ? "
                                "WHERE id = ? AND state IN ('failed', 'unconfirmed')",
                                {now(), id}),
                         id, "failed' or 'unconfirmed");
}

base::Result<void> Outbox::remove(std::int64_t id) {
    return expectChanged(
        update(m_db, "DELETE FROM outbox WHERE id = ? AND state IN ('queued', 'failed', 'unconfirmed', 'done')", {id}),
        id, "queued', 'failed', 'unconfirmed' or 'done");
}

base::Result<std::vector<RecoveredMessage>>
Outbox::recover(const std::function<bool(std::string_view owner)>& ownerAlive) {
    auto tx = Transaction::begin(m_db);
    if (!tx) {
        return tx.error();
    }
    auto st = Statement::prepare(
        m_db, "SELECT id, message_id, claimed_by, data_complete FROM outbox WHERE state = 'sending'");
    if (!st) {
        return st.error();
    }
    std::vector<RecoveredMessage> found;
    for (;;) {
        auto row = st->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        const std::string owner = st->columnIsNull(2) ? std::string() : st->columnText(2);
        if (!owner.empty() && ownerAlive(owner)) {
            continue;
        }
        found.push_back({st->columnInt64(0), st->columnText(1), st->columnInt64(3) != 0});
    }
    for (const auto& r : found) {
        auto changed =
            r.outcomeUnknown
                ? update(m_db,
                         "UPDATE outbox SET state = 'unconfirmed', claimed_by = NULL, data_complete = 0, "
                         "unknown_outcomes = unknown_outcomes + 1, last_error = 'attempt ' || attempts || ' ' || ? "
                         "WHERE id = ? AND state = 'sending'",
                         {kHeldAfterCrash, r.id})
                : update(m_db,
                         "UPDATE outbox SET state = 'queued', next_attempt = ?, claimed_by = NULL, data_complete = 0 "
                         "WHERE id = ? AND state = 'sending'",
                         {now(), r.id});
        if (!changed) {
            return changed.error();
        }
    }
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return found;
}

} // namespace sealpost::store
