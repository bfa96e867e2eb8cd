#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "store/Database.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

// Where a message is on its way out. The transitions and what a crash in each state means are in
// docs/mail.md, "Outbox and delivery guarantees".
enum class OutboxState {
    Queued,  // waiting for its (next) attempt at next_attempt
    Sending, // claimed by one process for an SMTP transaction
    Sent,    // the server accepted it (final 250); not yet filed in Sent
    Failed,  // the server refused it for good; last_error holds its reply
    Done,    // sent and filed in Sent
    // The attempt broke off at the end of data, before the server's reply: the server may have it
    // (RFC 1047). Held for the user, who confirms it (-> sent) or sends it again (-> queued); never
    // sent again nor filed in Sent on its own.
    Unconfirmed,
};

[[nodiscard]] std::string_view outboxStateName(OutboxState s) noexcept; // "queued", "sending", ...

struct OutboxMessage {
    std::int64_t id = 0;
    std::int64_t accountId = 0;
    std::string messageId; // with angle brackets, as in the header
    std::string raw;       // the stored copy (Bcc kept); empty in list()
    std::string envelopeFrom;
    std::vector<std::string> envelopeTo;
    OutboxState state = OutboxState::Queued;
    int attempts = 0;
    std::int64_t nextAttempt = 0; // Unix seconds
    std::string lastError;
    std::int64_t queuedAt = 0;
    std::optional<std::int64_t> sentAt;
    bool dataComplete = false; // 'sending': the end of data may have reached the server
    int unknownOutcomes = 0;   // attempts interrupted after the end of data (each one held as unconfirmed)
    // "" the main copy of the message, "bcc:ADDRESS" the separate copy for one Bcc recipient.
    std::string copy;
    bool hasSentCopy = false; // a copy to file in Sent instead of raw is stored
    std::string sentCopy;     // that copy (get() only; empty otherwise)

    // Whether this row is filed in Sent once accepted: the main copy always, a Bcc copy only when
    // it carries the Sent copy (a message without a main copy).
    [[nodiscard]] bool filedInSent() const noexcept { return copy.empty() || hasSentCopy; }
};

// One copy of a message to queue.
struct QueueRequest {
    std::string_view messageId; // with angle brackets
    std::string_view raw;       // what goes on the wire (a stored Bcc field is not transmitted)
    std::string_view envelopeFrom;
    std::span<const std::string> envelopeTo;
    std::string_view copy;                    // "" the main copy, "bcc:ADDRESS" a Bcc copy
    std::optional<std::string_view> sentCopy; // what to file in Sent instead of raw
};

struct QueueOutcome {
    std::int64_t id = 0;
    bool added = false; // false: a message with this Message-ID was queued before, nothing changed
};

// A 'sending' message whose owner died, and what recovery did with it.
struct RecoveredMessage {
    std::int64_t id = 0;
    std::string messageId;
    // The end of data may have reached the server: the message is now 'unconfirmed' (held, not
    // sent again). Otherwise it is 'queued' again, due at once.
    bool outcomeUnknown = false;
};

// How long to wait after the n-th failed attempt (temporary failure): 1 min, 10 min, 100 min,
// then every hour.
[[nodiscard]] std::chrono::seconds retryDelay(int attempts) noexcept;

// The outbox table of the profile. Every method is one transaction; each transition is
// conditional on the state it leaves, so two processes never move the same message at once.
class Outbox {
public:
    Outbox(Database& db, const base::Clock& clock) : m_db(db), m_clock(clock) {}

    // Stores a message (its main copy) for sending now. Idempotent by Message-ID: queueing a
    // Message-ID that is in the outbox (whatever its state) changes nothing and says so.
    [[nodiscard]] base::Result<QueueOutcome> queue(std::int64_t accountId, std::string_view messageId,
                                                   std::string_view raw, std::string_view envelopeFrom,
                                                   const std::vector<std::string>& envelopeTo);
    // Stores one copy of a message for sending now. Idempotent by Message-ID and copy.
    // InvalidArgument without a Message-ID or recipient, or for a copy name other than "" and
    // "bcc:ADDRESS".
    [[nodiscard]] base::Result<QueueOutcome> queue(std::int64_t accountId, const QueueRequest& request);

    // Every message, oldest first, without the raw bytes.
    [[nodiscard]] base::Result<std::vector<OutboxMessage>> list() const;
    // One message with its raw bytes. NotFound when absent.
    [[nodiscard]] base::Result<OutboxMessage> get(std::int64_t id) const;
    // The main copy of the message (when it has none, its first Bcc copy), without the raw bytes.
    // NotFound when absent.
    [[nodiscard]] base::Result<OutboxMessage> findByMessageId(std::string_view messageId) const;
    // Every copy of the message, the main one first, without the raw bytes.
    [[nodiscard]] base::Result<std::vector<OutboxMessage>> copiesOf(std::string_view messageId) const;

    // The queued messages whose next attempt is due (all queued ones when `ignoreSchedule`), by
    // account and then oldest first, without the raw bytes.
    [[nodiscard]] base::Result<std::vector<OutboxMessage>> due(bool ignoreSchedule) const;
    // Ids of the messages in 'sent' (accepted by the server, not yet filed in Sent).
    [[nodiscard]] base::Result<std::vector<std::int64_t>> unfiled() const;
    // The messages held for the user ('unconfirmed'), oldest first, without the raw bytes.
    [[nodiscard]] base::Result<std::vector<OutboxMessage>> unconfirmed() const;

    // queued -> sending, attempts + 1, owned by `owner`. false when the message is not queued
    // (another process took it, or it is gone): the caller must not send it.
    [[nodiscard]] base::Result<bool> claim(std::int64_t id, std::string_view owner);
    // Marks that the end of data is about to be sent (still 'sending').
    [[nodiscard]] base::Result<void> markDataComplete(std::int64_t id);
    // sending -> sent, sent_at = now.
    [[nodiscard]] base::Result<void> markSent(std::int64_t id);
    // sent -> done.
    [[nodiscard]] base::Result<void> markFiled(std::int64_t id);
    // Takes the filing of a 'sent' message, so two processes never file it at once: true when
    // nobody else holds it (the sender keeps it from markSent on) or its holder is gone
    // (`ownerAlive` says false); false when a live process holds it or it is no longer 'sent'.
    [[nodiscard]] base::Result<bool> claimFiling(std::int64_t id, std::string_view owner,
                                                 const std::function<bool(std::string_view owner)>& ownerAlive);
    // sending -> queued with next_attempt = now + retryDelay(attempts); keeps the error. Only for
    // attempts that certainly did not deliver (before the end of data, or a refusal of it).
    [[nodiscard]] base::Result<void> retryLater(std::int64_t id, std::string_view error);
    // sending -> unconfirmed: the attempt broke off after the end of data, before the server's
    // reply, so the server probably has the message. Counted in unknown_outcomes; last_error says
    // so, followed by `error`.
    [[nodiscard]] base::Result<void> holdUnconfirmed(std::int64_t id, std::string_view error);
    // sending -> failed with the server's reply.
    [[nodiscard]] base::Result<void> fail(std::int64_t id, std::string_view error);
    // unconfirmed -> sent, sent_at = now: the user knows it arrived. The next flush files it in
    // Sent as for any accepted message.
    [[nodiscard]] base::Result<void> confirm(std::int64_t id);
    // failed or unconfirmed -> queued, due now (the user fixed the address, wants another try, or
    // accepts that an unconfirmed message may arrive twice).
    [[nodiscard]] base::Result<void> requeue(std::int64_t id);
    // Forgets a message that is not on its way: queued, failed, unconfirmed or done.
    // InvalidArgument for one being sent or not yet filed in Sent.
    [[nodiscard]] base::Result<void> remove(std::int64_t id);

    // Messages left in 'sending' by owners that are gone (`ownerAlive` says false): one whose end
    // of data may have reached the server (data_complete) becomes 'unconfirmed' (counted in
    // unknown_outcomes, last_error says so) and is not sent again; the others go back to 'queued',
    // due now. The owner may have died just before the end-of-data marker went out, so the server
    // may lack an unconfirmed message: that is for the user to find out.
    [[nodiscard]] base::Result<std::vector<RecoveredMessage>>
    recover(const std::function<bool(std::string_view owner)>& ownerAlive);

private:
    [[nodiscard]] std::int64_t now() const;

    Database& m_db;
    const base::Clock& m_clock;
};

} // namespace sealpost::store
