#pragma once

// Bulk sending for automated senders (banks, e-government; docs/bulk-send.md): a batch of
// messages, each signed and encrypted to its recipients when the directory (or the profile)
// knows their certificates, sent plain or skipped otherwise, over reused SMTP connections in
// parallel, with a journal so that an interrupted batch resumes without sending anything twice.
//
// Contract sketch: the implementation may refine names and add fields, keeping the shape
// (a pure parse step, options with progress and cancellation, a summary as data).

#include "base/Clock.h"
#include "base/Result.h"
#include "directory/DirectoryLookup.h"
#include "engine/Send.h"
#include "mail/ServerSettings.h"
#include "store/Database.h"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// One line of the batch file: {"to": "a@x" | ["a@x", ...], "subject": "...", "body": "..." |
// "body_file": "path", "attachments": ["path", ...], "id": "caller's reference (optional)"}.
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
    std::size_t done = 0;  // items finished in this run (any outcome)
    std::size_t total = 0; // items in the batch
};

struct BulkOptions {
    std::filesystem::path journal; // the resumable state; default: BATCH.jsonl.journal
    NoKeyAction noKey = NoKeyAction::SendPlain;
    unsigned parallelism = 4;      // SMTP connections (and signing threads)
    std::size_t lookupBatch = 500; // addresses per directory request
    std::function<void(const BulkProgress&)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

struct BulkSummary {
    std::size_t total = 0;
    std::size_t encrypted = 0;
    std::size_t plain = 0;
    std::size_t skipped = 0;
    std::size_t failed = 0;
    std::size_t unconfirmed = 0;
    std::size_t alreadyDone = 0; // finished by an earlier run of the same batch
    bool cancelled = false;
    std::vector<BulkItemResult> results; // every item not Encrypted/Plain/AlreadyDone, and those too
};

// The runner (class BulkSender: the account's SMTP settings, the sender's identity, a
// DirectoryLookup; run(batchFile, options) -> BulkSummary) follows with its implementation.

} // namespace sealpost::engine
