#pragma once

// An IMAP4rev1 client for one account: one object is one connection (opened on first use and
// reopened after a failure). libcurl connects, negotiates TLS (with certificate pinning) and logs
// in; the commands themselves are spoken over that connection directly, because libcurl's own IMAP
// requests cannot deliver literals (message headers and bodies) nor fetch without setting \Seen.
// Not thread-safe: use one object per worker thread.

#include "base/ByteSink.h"
#include "base/Bytes.h"
#include "base/Result.h"
#include "mail/ImapResponse.h"
#include "mail/ServerSettings.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail {

struct FolderStatus {
    std::uint64_t uidValidity = 0;
    std::uint64_t uidNext = 0;
    std::uint64_t exists = 0;
};

struct MessageFlags {
    std::uint64_t uid = 0;
    std::vector<std::string> flags;
};

struct MessageHeader {
    std::uint64_t uid = 0;
    std::vector<std::string> flags;
    std::int64_t internalDate = 0; // Unix seconds, 0 when the server sent none
    std::uint64_t size = 0;        // RFC822.SIZE
    std::string header;            // the raw header block, blank line included
};

class ImapClient {
public:
    explicit ImapClient(ServerSettings settings);
    ~ImapClient();
    ImapClient(const ImapClient&) = delete;
    ImapClient& operator=(const ImapClient&) = delete;
    ImapClient(ImapClient&&) = delete;
    ImapClient& operator=(ImapClient&&) = delete;

    // Checked between server responses; a cancelled command drops the connection.
    void setCancelFlag(const std::atomic<bool>* cancel) noexcept { m_cancel = cancel; }

    // Connects and logs in now (otherwise the first command does). Unreachable, UntrustedServer,
    // AuthFailed, ProtocolError.
    [[nodiscard]] base::Result<void> connect();
    void disconnect() noexcept;

    // Every mailbox with its special use (RFC 6154); INBOX is always "inbox".
    [[nodiscard]] base::Result<std::vector<ImapFolder>> listFolders();
    // Without selecting the folder. NotFound when it does not exist.
    [[nodiscard]] base::Result<FolderStatus> status(std::string_view folder);
    // Selects the folder (read-write) and reports what SELECT said.
    [[nodiscard]] base::Result<FolderStatus> select(std::string_view folder);

    // UID and flags of every message with UID >= uidFrom.
    [[nodiscard]] base::Result<std::vector<MessageFlags>> fetchFlags(std::string_view folder,
                                                                     std::uint64_t uidFrom = 1);
    // Flags, internal date, size and raw header of the given messages, handed to `onMessage` one by
    // one as they arrive (UIDs the server no longer has are skipped). Callers pass batches of a
    // few hundred UIDs. A failing callback stops the fetch and its error is returned.
    using HeaderCallback = std::function<base::Result<void>(MessageHeader&&)>;
    [[nodiscard]] base::Result<void> fetchHeaders(std::string_view folder, std::span<const std::uint64_t> uids,
                                                  const HeaderCallback& onMessage);
    // The whole raw message streamed into `sink` without marking it \Seen. NotFound when the UID
    // does not exist.
    [[nodiscard]] base::Result<void> fetchMessage(std::string_view folder, std::uint64_t uid, base::ByteSink& sink);

    [[nodiscard]] base::Result<void> setFlags(std::string_view folder, std::uint64_t uid,
                                              std::span<const std::string> add, std::span<const std::string> remove);
    [[nodiscard]] base::Result<void> move(std::string_view folder, std::uint64_t uid, std::string_view target);
    // UIDs of the messages whose header FIELD contains VALUE (UID SEARCH HEADER; substring match,
    // case-insensitive, as IMAP defines it).
    [[nodiscard]] base::Result<std::vector<std::uint64_t>> searchHeader(std::string_view folder, std::string_view field,
                                                                        std::string_view value);
    // Marks the message \Deleted and expunges exactly it (UID EXPUNGE).
    [[nodiscard]] base::Result<void> remove(std::string_view folder, std::uint64_t uid);
    // Appends a raw message (CRLF line ends) and returns its UID when the server says (UIDPLUS),
    // else 0.
    [[nodiscard]] base::Result<std::uint64_t> append(std::string_view folder, base::ByteView message,
                                                     std::span<const std::string> flags);

    struct Connection; // internal

private:
    [[nodiscard]] base::Result<void> ensureSelected(std::string_view folder);

    ServerSettings m_settings;
    const std::atomic<bool>* m_cancel = nullptr;
    std::unique_ptr<Connection> m_conn;
    std::string m_selected;
};

// "1:3,7,9:10" for a sorted or unsorted list of UIDs (exposed for tests).
[[nodiscard]] std::string uidSet(std::span<const std::uint64_t> uids);

} // namespace sealpost::mail
