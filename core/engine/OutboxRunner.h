#pragma once

#include "base/Clock.h"
#include "base/Error.h"
#include "base/Result.h"
#include "store/Database.h"
#include "store/Outbox.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::engine {

// Files a message the server accepted in the account's Sent folder: its sentCopy when it has one,
// else its raw bytes. Must be idempotent by Message-ID (look for it first): after a crash it runs
// again for the same message. Never called for Bcc copies that do not carry the Sent copy
// (OutboxMessage::filedInSent): they go from sent to done directly.
using FileInSent = std::function<base::Result<void>(const store::OutboxMessage&)>;

struct FlushOptions {
    // Called before each message is sent: (index from 0, number of due messages, Message-ID).
    std::function<void(std::size_t, std::size_t, const std::string&)> progress;
    const std::atomic<bool>* cancel = nullptr;
    bool force = false;                      // ignore next_attempt: send every queued message now
    std::optional<std::int64_t> onlyMessage; // just this outbox row (outbox retry)
    std::vector<std::int64_t> onlyMessages;  // just these rows (send: the copies of one message)
};

enum class DeliveryOutcome {
    Sent,       // the server accepted it (and it is filed in Sent when `filed`)
    RetryLater, // temporary failure: queued again for `nextAttempt`
    Failed,     // permanent failure: `error` holds the server's reply
    NotClaimed, // another process is sending it, or it left the queue meanwhile
    // Broke off after the end of data, before the server's reply (`error`): the server probably
    // has it. Held as 'unconfirmed' for the user; not sent again.
    Unconfirmed,
};

struct DeliveryResult {
    std::int64_t id = 0;
    std::string messageId;
    DeliveryOutcome outcome = DeliveryOutcome::NotClaimed;
    bool filed = false;
    std::int64_t nextAttempt = 0;
    std::optional<base::Error> error; // the SMTP error (RetryLater, Failed) or the filing error (Sent)
};

struct FlushReport {
    std::vector<store::RecoveredMessage> recovered; // left in 'sending' by a process that died
    std::vector<DeliveryResult> results;
    std::vector<DeliveryResult> filedLater; // accepted earlier, filed in Sent during this flush
    // Every message held for the user when the flush ended: this flush's, recovered ones and
    // earlier ones not yet confirmed, sent again or removed.
    std::vector<store::OutboxMessage> unconfirmed;
};

// "pid:start-time" of this process, stored with a claimed message.
[[nodiscard]] std::string currentProcessOwner();
// Whether the process named by currentProcessOwner() in another process still runs.
[[nodiscard]] bool processOwnerAlive(std::string_view owner);

// Sends the due messages of the outbox with one SMTP connection per account.
class OutboxRunner {
public:
    OutboxRunner(store::Database& db, const base::Clock& clock, FileInSent fileInSent = {});

    // Recovers messages of dead processes, files accepted ones in Sent, then sends the due ones.
    // Unconfirmed messages are neither sent nor filed; the report lists them.
    // Errors only for the store (and Cancelled); delivery problems are per message in the report.
    [[nodiscard]] base::Result<FlushReport> flush(const FlushOptions& options);

private:
    [[nodiscard]] base::Result<void> fileAccepted(FlushReport& report);
    [[nodiscard]] base::Result<void> sendAccount(std::int64_t accountId, const std::vector<std::int64_t>& ids,
                                                 const FlushOptions& options, std::size_t& index, std::size_t total,
                                                 FlushReport& report);

    [[nodiscard]] base::Result<void> record(const store::OutboxMessage& message, const base::Result<void>& sent,
                                            bool endOfDataSent, const std::string& lastRefusal, DeliveryResult& r);

    store::Database& m_db;
    store::Outbox m_outbox;
    FileInSent m_fileInSent;
    std::string m_owner;
};

} // namespace sealpost::engine
