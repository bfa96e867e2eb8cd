#pragma once

// The offline copy of an account's mailboxes (tables `folders` and `messages`): what the last
// sync saw, readable without a connection. Every method is one statement or one transaction (a
// savepoint inside a caller's), so a sync can commit batch by batch.

#include "base/Bytes.h"
#include "base/Result.h"
#include "mail/ImapClient.h"
#include "store/Database.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

struct CachedFolder {
    std::int64_t id = 0;
    std::int64_t accountId = 0;
    std::string name; // as sent on the wire
    std::string delimiter;
    std::string specialUse;        // "inbox" | "sent" | ... | ""
    std::uint64_t uidValidity = 0; // 0: never synced
    std::uint64_t uidNext = 0;
    std::int64_t lastSync = 0; // Unix seconds, 0: never
};

// The summary parsed from a message's header.
struct MessageSummary {
    std::string messageId;
    std::string subject; // unfolded, not RFC 2047-decoded
    std::string from;    // addr-specs, comma-separated
    std::string to;      // To and Cc addr-specs, comma-separated
    std::string date;    // the Date header as written
};
[[nodiscard]] MessageSummary summarizeHeader(std::string_view header);

struct CachedMessage {
    std::uint64_t uid = 0;
    std::string flags; // space-separated
    std::int64_t internalDate = 0;
    std::uint64_t size = 0;
    MessageSummary summary;
    bool hasBody = false;
    std::string security; // JSON summary of opening it, "" until opened
};

class MessageCache {
public:
    explicit MessageCache(Database& db) : m_db(db) {}

    // Adds the folder or updates its delimiter and special use; keeps its sync state.
    [[nodiscard]] base::Result<std::int64_t> upsertFolder(std::int64_t accountId, const mail::ImapFolder& folder);
    [[nodiscard]] base::Result<std::vector<CachedFolder>> folders(std::int64_t accountId) const;
    // NotFound when the folder is not cached.
    [[nodiscard]] base::Result<CachedFolder> folder(std::int64_t accountId, std::string_view name) const;
    // Drops cached folders the server no longer lists (with their messages).
    [[nodiscard]] base::Result<void> keepOnlyFolders(std::int64_t accountId, std::span<const std::string> names);
    [[nodiscard]] base::Result<void> setFolderState(std::int64_t folderId, std::uint64_t uidValidity,
                                                    std::uint64_t uidNext, std::int64_t lastSync);
    // Forgets every message of the folder and its UIDVALIDITY (after the server changed it).
    [[nodiscard]] base::Result<void> clearFolder(std::int64_t folderId);

    // Inserts or replaces the header data of a message (its body and security summary are kept
    // when the row exists).
    [[nodiscard]] base::Result<void> putHeader(std::int64_t folderId, const mail::MessageHeader& message);
    [[nodiscard]] base::Result<void> setFlags(std::int64_t folderId, std::uint64_t uid,
                                              std::span<const std::string> flags);
    [[nodiscard]] base::Result<void> removeMessages(std::int64_t folderId, std::span<const std::uint64_t> uids);
    // (uid, space-separated flags) of every cached message, by UID.
    [[nodiscard]] base::Result<std::vector<std::pair<std::uint64_t, std::string>>> flags(std::int64_t folderId) const;
    // Messages by UID, without bodies.
    [[nodiscard]] base::Result<std::vector<CachedMessage>> list(std::int64_t folderId) const;
    // NotFound when the message is not cached.
    [[nodiscard]] base::Result<CachedMessage> message(std::int64_t folderId, std::uint64_t uid) const;
    [[nodiscard]] base::Result<std::vector<std::uint64_t>> uidsWithoutBody(std::int64_t folderId) const;

    // The whole raw message. NotFound when the header row is missing.
    [[nodiscard]] base::Result<void> putBody(std::int64_t folderId, std::uint64_t uid, base::ByteView raw);
    // std::nullopt when the body has not been fetched.
    [[nodiscard]] base::Result<std::optional<std::string>> body(std::int64_t folderId, std::uint64_t uid) const;
    [[nodiscard]] base::Result<void> setSecurity(std::int64_t folderId, std::uint64_t uid, std::string_view json);

private:
    Database& m_db;
};

[[nodiscard]] std::string joinFlags(std::span<const std::string> flags);

} // namespace sealpost::store
