#pragma once

// Brings the offline cache of one IMAP folder up to date with the server: new messages (headers,
// optionally whole bodies), flag changes and expunges, by UIDVALIDITY and UID. Every batch is
// committed on its own, so an interrupted sync keeps what it fetched and the next one completes it.

#include "base/Result.h"
#include "mail/ImapClient.h"
#include "store/Database.h"
#include "store/MessageCache.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sealpost::engine {

struct SyncProgress {
    std::string folder;
    std::string phase; // "flags" | "headers" | "bodies"
    std::uint64_t done = 0;
    std::uint64_t total = 0;
};

struct SyncOptions {
    std::function<void(const SyncProgress&)> progress;
    const std::atomic<bool>* cancel = nullptr;
    bool fetchBodies = false;
    std::size_t batchSize = 500; // UIDs per header FETCH and per transaction
    // Called for every body fetched (on the calling thread, inside the transaction of its group of
    // bodies, so a Harvester's writes become savepoints in it); returns the
    // JSON summary stored in messages.security, or "" for none. A failure is kept as the summary
    // of that message, it does not stop the sync.
    std::function<base::Result<std::string>(std::string&& raw)> inspect;
    std::int64_t now = 0; // Unix seconds for last_sync; 0: the system clock
};

struct SyncResult {
    std::string folder;
    std::uint64_t added = 0;
    std::uint64_t flagsUpdated = 0;
    std::uint64_t expunged = 0;
    std::uint64_t bodiesFetched = 0;
    bool uidValidityChanged = false;
    std::uint64_t exists = 0; // messages in the folder on the server
};

// Syncs one folder of the account (the folder row is created when missing).
[[nodiscard]] base::Result<SyncResult> syncFolder(mail::ImapClient& client, store::Database& db,
                                                  store::MessageCache& cache, std::int64_t accountId,
                                                  const mail::ImapFolder& folder, const SyncOptions& options);

// Lists the account's folders (dropping cached ones the server no longer has) and syncs every
// selectable one, or only `onlyFolder` when not empty (NotFound when the server has no such folder).
[[nodiscard]] base::Result<std::vector<SyncResult>> syncAccount(mail::ImapClient& client, store::Database& db,
                                                                store::MessageCache& cache, std::int64_t accountId,
                                                                std::string_view onlyFolder,
                                                                const SyncOptions& options);

// Fetches one message's body into the cache if it is not there yet, and returns it.
[[nodiscard]] base::Result<std::string> fetchBody(mail::ImapClient& client, store::MessageCache& cache,
                                                  const store::CachedFolder& folder, std::uint64_t uid,
                                                  const SyncOptions& options);

} // namespace sealpost::engine
