#include "engine/MailSync.h"

#include "store/Transaction.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_map>

namespace sealpost::engine {

using base::ErrorCode;

namespace {

bool cancelled(const SyncOptions& o) noexcept {
    return o.cancel != nullptr && o.cancel->load();
}

void report(const SyncOptions& o, const std::string& folder, const char* phase, std::uint64_t done,
            std::uint64_t total) {
    if (o.progress) {
        o.progress(SyncProgress{folder, phase, done, total});
    }
}

std::int64_t nowSeconds(const SyncOptions& o) {
    if (o.now != 0) {
        return o.now;
    }
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Stores the body and what inspecting it found.
base::Result<void> storeBody(store::MessageCache& cache, std::int64_t folderId, std::uint64_t uid, std::string body,
                             const SyncOptions& options) {
    if (auto p = cache.putBody(folderId, uid, base::asBytes(body)); !p) {
        return p;
    }
    if (!options.inspect) {
        return base::Ok{};
    }
    auto summary = options.inspect(std::move(body));
    std::string json;
    if (summary) {
        json = std::move(summary).value();
    } else {
        json = R"({"error":")" + std::string(base::errorCodeName(summary.error().code)) + "\"}";
    }
    return json.empty() ? base::Result<void>(base::Ok{}) : cache.setSecurity(folderId, uid, json);
}

} // namespace

base::Result<SyncResult> syncFolder(mail::ImapClient& client, store::Database& db, store::MessageCache& cache,
                                    std::int64_t accountId, const mail::ImapFolder& folder,
                                    const SyncOptions& options) {
    SyncResult result;
    result.folder = folder.name;
    auto folderId = cache.upsertFolder(accountId, folder);
    if (!folderId) {
        return folderId.error();
    }
    auto cached = cache.folder(accountId, folder.name);
    if (!cached) {
        return cached.error();
    }
    auto status = client.select(folder.name);
    if (!status) {
        return status.error();
    }
    result.exists = status->exists;
    if (cached->uidValidity != 0 && cached->uidValidity != status->uidValidity) {
        // The server renumbered the folder: nothing cached under the old UIDs can be trusted.
        if (auto c = cache.clearFolder(*folderId); !c) {
            return c.error();
        }
        result.uidValidityChanged = true;
    }
    if (cancelled(options)) {
        return base::makeError(ErrorCode::Cancelled, "sync cancelled");
    }

    // The server's UID/flags listing against the cache: expunged, changed and new messages.
    report(options, folder.name, "flags", 0, status->exists);
    auto server = client.fetchFlags(folder.name, 1);
    if (!server) {
        return server.error();
    }
    auto local = cache.flags(*folderId);
    if (!local) {
        return local.error();
    }
    std::unordered_map<std::uint64_t, std::string> localFlags(local->begin(), local->end());
    std::vector<std::uint64_t> fresh;
    {
        auto tx = store::Transaction::begin(db);
        if (!tx) {
            return tx.error();
        }
        for (const mail::MessageFlags& m : *server) {
            const auto it = localFlags.find(m.uid);
            if (it == localFlags.end()) {
                fresh.push_back(m.uid);
                continue;
            }
            if (it->second != store::joinFlags(m.flags)) {
                if (auto f = cache.setFlags(*folderId, m.uid, m.flags); !f) {
                    return f.error();
                }
                ++result.flagsUpdated;
            }
            localFlags.erase(it);
        }
        std::vector<std::uint64_t> gone;
        gone.reserve(localFlags.size());
        for (const auto& [uid, flags] : localFlags) {
            gone.push_back(uid);
        }
        if (auto r = cache.removeMessages(*folderId, gone); !r) {
            return r.error();
        }
        result.expunged = gone.size();
        if (auto c = tx->commit(); !c) {
            return c.error();
        }
    }

    // New messages' headers, a batch per FETCH and per transaction.
    const std::size_t batch = std::max<std::size_t>(options.batchSize, 1);
    for (std::size_t start = 0; start < fresh.size(); start += batch) {
        if (cancelled(options)) {
            return base::makeError(ErrorCode::Cancelled, "sync cancelled");
        }
        report(options, folder.name, "headers", start, fresh.size());
        const std::span<const std::uint64_t> uids(fresh.data() + start, std::min(batch, fresh.size() - start));
        auto tx = store::Transaction::begin(db);
        if (!tx) {
            return tx.error();
        }
        auto fetched = client.fetchHeaders(folder.name, uids, [&](mail::MessageHeader&& m) -> base::Result<void> {
            if (auto p = cache.putHeader(*folderId, m); !p) {
                return p;
            }
            ++result.added;
            return base::Ok{};
        });
        if (!fetched) {
            return fetched.error();
        }
        if (auto c = tx->commit(); !c) {
            return c.error();
        }
    }
    report(options, folder.name, "headers", fresh.size(), fresh.size());

    if (options.fetchBodies) {
        auto missing = cache.uidsWithoutBody(*folderId);
        if (!missing) {
            return missing.error();
        }
        // Bodies are committed in groups (a commit per message would cost a disk sync each).
        constexpr std::uint64_t kGroupBytes = std::uint64_t{64} << 20U;
        std::optional<store::Transaction> group;
        std::uint64_t groupMessages = 0;
        std::uint64_t groupBytes = 0;
        std::uint64_t done = 0;
        for (const std::uint64_t uid : *missing) {
            if (cancelled(options)) {
                return base::makeError(ErrorCode::Cancelled, "sync cancelled");
            }
            report(options, folder.name, "bodies", done++, missing->size());
            if (!group) {
                auto tx = store::Transaction::begin(db);
                if (!tx) {
                    return tx.error();
                }
                group.emplace(std::move(tx).value());
            }
            std::string body;
            base::StringSink sink(body);
            if (auto f = client.fetchMessage(folder.name, uid, sink); !f) {
                if (f.error().code == ErrorCode::NotFound) {
                    continue; // expunged meanwhile; the next sync drops the row
                }
                return f.error();
            }
            groupBytes += body.size();
            if (auto s = storeBody(cache, *folderId, uid, std::move(body), options); !s) {
                return s.error();
            }
            ++result.bodiesFetched;
            if (++groupMessages >= batch || groupBytes >= kGroupBytes) {
                if (auto c = group->commit(); !c) {
                    return c.error();
                }
                group.reset();
                groupMessages = 0;
                groupBytes = 0;
            }
        }
        if (group) {
            if (auto c = group->commit(); !c) {
                return c.error();
            }
        }
        report(options, folder.name, "bodies", missing->size(), missing->size());
    }

    if (auto s = cache.setFolderState(*folderId, status->uidValidity, status->uidNext, nowSeconds(options)); !s) {
        return s.error();
    }
    return result;
}

base::Result<std::vector<SyncResult>> syncAccount(mail::ImapClient& client, store::Database& db,
                                                  store::MessageCache& cache, std::int64_t accountId,
                                                  std::string_view onlyFolder, const SyncOptions& options) {
    auto folders = client.listFolders();
    if (!folders) {
        return folders.error();
    }
    std::vector<std::string> names;
    names.reserve(folders->size());
    for (const auto& f : *folders) {
        names.push_back(f.name);
        if (auto u = cache.upsertFolder(accountId, f); !u) {
            return u.error();
        }
    }
    if (auto k = cache.keepOnlyFolders(accountId, names); !k) {
        return k.error();
    }
    std::vector<SyncResult> results;
    bool matched = onlyFolder.empty();
    for (const auto& f : *folders) {
        if (!f.selectable || (!onlyFolder.empty() && f.name != onlyFolder)) {
            continue;
        }
        matched = true;
        auto r = syncFolder(client, db, cache, accountId, f, options);
        if (!r) {
            return r.error();
        }
        results.push_back(std::move(r).value());
    }
    if (!matched) {
        return base::makeError(ErrorCode::NotFound, "the server has no folder " + std::string(onlyFolder));
    }
    return results;
}

base::Result<std::string> fetchBody(mail::ImapClient& client, store::MessageCache& cache,
                                    const store::CachedFolder& folder, std::uint64_t uid, const SyncOptions& options) {
    auto cachedBody = cache.body(folder.id, uid);
    if (cachedBody && cachedBody->has_value()) {
        return std::move(**cachedBody);
    }
    if (!cachedBody && cachedBody.error().code != ErrorCode::NotFound) {
        return cachedBody.error();
    }
    if (!cachedBody) {
        // Not synced yet: its header row first, so the body has a place to go.
        const std::uint64_t one[] = {uid};
        bool seen = false;
        auto h = client.fetchHeaders(folder.name, one, [&](mail::MessageHeader&& m) -> base::Result<void> {
            seen = true;
            return cache.putHeader(folder.id, m);
        });
        if (!h) {
            return h.error();
        }
        if (!seen) {
            return base::makeError(ErrorCode::NotFound,
                                   "no message with UID " + std::to_string(uid) + " in " + folder.name);
        }
    }
    std::string body;
    base::StringSink sink(body);
    if (auto f = client.fetchMessage(folder.name, uid, sink); !f) {
        return f.error();
    }
    std::string copy = body;
    if (auto s = storeBody(cache, folder.id, uid, std::move(copy), options); !s) {
        return s.error();
    }
    return body;
}

} // namespace sealpost::engine
