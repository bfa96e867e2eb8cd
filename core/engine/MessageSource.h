#pragma once

#include "base/Result.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace sealpost::engine {

struct SourceMessage {
    std::string label; // where it came from: a file name, or "FILE#N" for the Nth message of an mbox
    std::string data;  // the message; CRLF line endings when the source stored bare LF
    std::string error; // non-empty: this message could not be read (too large, unreadable file)
};

struct SourceLimits {
    std::uint64_t maxMessageBytes = std::uint64_t{256} << 20; // larger messages are skipped with an error
};

// Messages one at a time, so a mailbox of any size is never held in memory at once. Sources are
// read sequentially; bytesRead/bytesTotal give progress.
class MessageSource {
public:
    MessageSource() = default;
    MessageSource(const MessageSource&) = delete;
    MessageSource& operator=(const MessageSource&) = delete;
    MessageSource(MessageSource&&) = delete;
    MessageSource& operator=(MessageSource&&) = delete;
    virtual ~MessageSource() = default;

    // The next message, nullopt at the end. Io when the source itself fails (a per-message
    // problem is reported in SourceMessage::error instead, and reading goes on).
    [[nodiscard]] virtual base::Result<std::optional<SourceMessage>> next() = 0;
    [[nodiscard]] virtual std::uint64_t bytesRead() const noexcept = 0;
    [[nodiscard]] virtual std::uint64_t bytesTotal() const noexcept = 0;
};

// One message in a file (.eml).
[[nodiscard]] base::Result<std::unique_ptr<MessageSource>> openMessageFile(const std::filesystem::path& file,
                                                                           const SourceLimits& limits = {});

// An mbox file (mboxo/mboxrd): a message starts at a "From " line at the start of the file or
// after an empty line; ">From " quoting is undone (one ">" removed from ">...>From " lines).
[[nodiscard]] base::Result<std::unique_ptr<MessageSource>> openMbox(const std::filesystem::path& file,
                                                                    const SourceLimits& limits = {});

// A Maildir folder: every regular file in its cur/ and new/ (tmp/ holds deliveries in progress),
// in name order. InvalidArgument when the folder has neither cur/ nor new/.
[[nodiscard]] base::Result<std::unique_ptr<MessageSource>> openMaildir(const std::filesystem::path& dir,
                                                                       const SourceLimits& limits = {});

// Bare LF line endings become CRLF when the text has no CRLF at all (Unix mailbox files store
// mail that way; S/MIME signatures are computed over CRLF). Text that has CRLF is left alone.
void restoreCrlf(std::string& text);

} // namespace sealpost::engine
