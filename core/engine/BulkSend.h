#pragma once

// Bulk sending for automated senders (banks, e-government; docs/bulk-send.md): a batch of
// messages, each signed and encrypted to its recipients when the directory (or the profile)
// knows their certificates, sent plain or skipped otherwise, over reused SMTP connections in
// parallel, with a journal so that an interrupted batch resumes without sending anything twice.
//

#include "base/Clock.h"
#include "base/Result.h"
#include "directory/DirectoryLookup.h"
#include "engine/Send.h"
#include "mail/ServerSettings.h"
#include "store/AccountStore.h"
#include "store/Database.h"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// One line of the batch file: {"to": "a@x" | ["a@x", ...], "subject": "...", "body": "..." |
// "body_file": "path", "attachments": ["path", ...], "id": "caller's reference (optional)"}.
// Addresses are normalised (lower case); body_file and attachments are read when parsed.
struct BulkItem {
    std::size_t line = 0; // 1-based line number in the batch file
    std::string id;       // the caller's reference, or "" (then the line number identifies it)
    std::vector<std::string> to;
    std::string subject;
    std::string body;
    std::vector<Attachment> attachments;
};

// MalformedInput naming the line and the problem; relative paths resolve against `baseDir`.
[[nodiscard]] base::Result<BulkItem> parseBulkLine(std::string_view jsonLine, std::size_t line,
                                                   const std::filesystem::path& baseDir);

enum class NoKeyAction { SendPlain, Skip };

enum class BulkOutcome { Encrypted, Plain, Skipped, Failed, Unconfirmed, AlreadyDone };
[[nodiscard]] std::string_view bulkOutcomeName(BulkOutcome outcome) noexcept; // "encrypted", ...

struct BulkItemResult {
    std::size_t line = 0;
    std::string id;
    std::string messageId;
    BulkOutcome outcome = BulkOutcome::Failed;
    std::string reason; // why plain, skipped or failed (stable code), "" otherwise
    std::string detail;
};

struct BulkProgress {
    std::size_t done = 0;  // items finished in this run or an earlier one (any outcome)
    std::size_t total = 0; // items in the batch
};

struct BulkOptions {
    std::filesystem::path journal; // the resumable state; default: BATCH.jsonl.journal
    NoKeyAction noKey = NoKeyAction::SendPlain;
    unsigned parallelism = 4;      // SMTP connections (and signing threads); at least 1
    std::size_t lookupBatch = 500; // items resolved per step on the calling thread (directory batches)
    directory::LookupOptions lookup;
    // Lines left in flight by an earlier run (outcome unknown: the server may have them) are
    // reported Unconfirmed and not sent; true sends them again (they may arrive twice).
    bool resendUnconfirmed = false;
    // Also encrypt to the sender's own encryption certificate (no Sent copy is kept, so off).
    bool encryptToSender = false;
    // fdatasync every in-flight record (grouped across threads): also a power cut cannot lead to
    // a second copy. Off: a killed process still cannot, a crashed machine could.
    bool syncJournal = true;
    std::size_t maxProblems = 100000; // problems kept in the summary (the counters stay exact)
    // Called on the calling thread, after every finished item (at most every ~100 ms) and at the end.
    std::function<void(const BulkProgress&)> progress;
    const std::atomic<bool>* cancel = nullptr; // set: in-flight items finish, the rest stays for a resume
};

struct BulkSummary {
    std::size_t total = 0; // items in the batch
    std::size_t encrypted = 0;
    std::size_t plain = 0;
    std::size_t skipped = 0;
    std::size_t failed = 0;
    std::size_t unconfirmed = 0;
    std::size_t alreadyDone = 0;  // sent by an earlier run of the same batch
    std::size_t notAttempted = 0; // left for a resume (cancelled, or stopped by stoppedBy)
    bool cancelled = false;
    // A failure of the connection or the account (login refused, server unreachable, journal not
    // writable): the run stopped early, the remaining items were not attempted.
    std::optional<base::Error> stoppedBy;
    // Every item that was skipped, failed or is unconfirmed, in the order they finished (at most
    // maxProblems; problemsDropped counts the rest).
    std::vector<BulkItemResult> problems;
    std::size_t problemsDropped = 0;
};

// Sends a batch with one account: each item signed by the account's current identity, encrypted
// when every recipient has a usable certificate (profile, then directory), plain (signed) or
// skipped otherwise. The database is used on the calling thread only (parsing, directory lookups
// in steps of lookupBatch items); signing, encryption and SMTP run on `parallelism` threads, each
// with its own SMTP connection kept open between messages. The batch file is streamed: memory does
// not grow with its length (bar one byte per line for the journal state, and the problems kept).
class BulkSender {
public:
    // `lookup` may be nullptr (only the profile's certificates are used).
    BulkSender(store::Database& db, const base::Clock& clock, store::Account account,
               directory::DirectoryLookup* lookup);

    // Errors (nothing sent): Io for an unreadable batch or journal, InvalidArgument for a journal
    // of another batch file or in use, or an account without a current signing identity; store
    // errors. Everything per item (and connection failures) is in the summary.
    [[nodiscard]] base::Result<BulkSummary> run(const std::filesystem::path& batchFile, const BulkOptions& options);

private:
    store::Database& m_db;
    const base::Clock& m_clock;
    store::Account m_account;
    directory::DirectoryLookup* m_lookup;
};

// The Message-ID of a batch line: "<bulk.SHA256PREFIX.LINE@DOMAIN>", the same in every run of
// the batch, so a message sent twice is recognisable.
[[nodiscard]] std::string bulkMessageId(std::string_view batchSha256, std::size_t line, std::string_view senderAddress);

} // namespace sealpost::engine
