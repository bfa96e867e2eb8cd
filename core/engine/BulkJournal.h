#pragma once

// The resumable state of a bulk send (docs/bulk-send.md, "Journal"): an append-only text file
// bound to one batch file, recording per batch line when its message was about to be completed
// on the wire (in flight) and when the server accepted it (done).

#include "base/Result.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// What identifies a batch file: its content's SHA-256 and size, plus the number of items (lines
// that are not blank), counted in the same pass.
struct BatchFingerprint {
    std::string sha256; // lower-case hex
    std::uint64_t size = 0;
    std::size_t items = 0;
    std::size_t lines = 0;
};

// Io when the file cannot be read.
[[nodiscard]] base::Result<BatchFingerprint> fingerprintBatch(const std::filesystem::path& batchFile);

enum class JournalState : std::uint8_t {
    None,          // nothing recorded: not sent (or refused before its end of data)
    InFlight,      // the end of data was (about to be) sent, no answer recorded: outcome unknown
    DoneEncrypted, // the server accepted it
    DonePlain,
    Refused, // the server refused it after the end of data: not delivered
};

class BulkJournal {
public:
    // Opens or creates the journal of `batch` and takes an exclusive lock on it. A new (or empty)
    // file gets a header naming the batch; an existing one must name the same batch. Complete
    // records are read; a torn last record (no line end: the writer died mid-write) is cut off.
    // `syncInFlight`: each in-flight record reaches the disk (fdatasync, shared by concurrent
    // writers) before it returns, so a power loss cannot lose it either.
    // Errors: InvalidArgument when the journal belongs to another batch file or another run holds
    // it; MalformedInput when it is not a journal; Io.
    [[nodiscard]] static base::Result<BulkJournal> open(const std::filesystem::path& path,
                                                        const BatchFingerprint& batch, bool syncInFlight);

    BulkJournal(BulkJournal&& other) noexcept;
    BulkJournal& operator=(BulkJournal&&) = delete;
    BulkJournal(const BulkJournal&) = delete;
    BulkJournal& operator=(const BulkJournal&) = delete;
    ~BulkJournal();

    // The last state recorded for a 1-based batch line (None when never recorded).
    [[nodiscard]] JournalState stateOf(std::size_t line) const noexcept;

    // Thread-safe appends; the state seen by stateOf() is the one read at open().
    [[nodiscard]] base::Result<void> recordInFlight(std::size_t line);
    [[nodiscard]] base::Result<void> recordDone(std::size_t line, bool encrypted);
    [[nodiscard]] base::Result<void> recordRefused(std::size_t line);

private:
    BulkJournal(int fd, std::filesystem::path path, bool syncInFlight) noexcept
        : m_fd(fd), m_path(std::move(path)), m_syncInFlight(syncInFlight) {}
    [[nodiscard]] base::Result<std::uint64_t> append(std::string_view record);
    [[nodiscard]] base::Result<void> syncUpTo(std::uint64_t sequence);
    [[nodiscard]] base::Result<void> load(const BatchFingerprint& batch);

    int m_fd = -1;
    std::filesystem::path m_path;
    bool m_syncInFlight = true;
    std::vector<JournalState> m_states; // index: batch line
    std::mutex m_writeMutex;
    std::mutex m_syncMutex;
    std::uint64_t m_written = 0; // records appended (under m_writeMutex)
    std::uint64_t m_synced = 0;  // records known on disk (under m_syncMutex)
};

// The journal's first line for a batch (without its line end).
[[nodiscard]] std::string journalHeader(const BatchFingerprint& batch);

} // namespace sealpost::engine
