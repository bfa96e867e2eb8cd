#pragma once

// What sync, show, receive, read and reply share: choosing the account, syncing with bodies (each
// fetched message opened and harvested) and getting one message from the offline copy.

#include "Args.h"
#include "base/Error.h"
#include "base/Result.h"
#include "engine/MailSync.h"
#include "store/AccountStore.h"
#include "store/Database.h"
#include "store/MessageCache.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::cli {

// The account named by --account, else the profile's only one. NotFound / InvalidArgument
// (several accounts and none named).
[[nodiscard]] base::Result<store::Account> chooseMailAccount(store::Database& db, const Args& args);

// Prints "sealpost-cli COMMAND: ..." on standard error and returns the exit code of the error's
// kind (serverExitCode; kExitInterrupted when cancelled).
int failMail(std::string_view command, const base::Error& e);

// A positive decimal UID, else nullopt.
[[nodiscard]] std::optional<std::uint64_t> parseUid(const std::string& text);

struct MailSyncRequest {
    std::string onlyFolder; // "" every folder
    bool fetchBodies = true;
    bool progress = false; // progress on standard error (only when it is a terminal)
};

// Syncs the account's folders. With bodies, every fetched message is opened with the profile's
// keys and anchors and harvested; the summary kept with it (messages.security) holds what
// opening found, the protected Subject/From when there were protected headers ("subject",
// "from"), the harvest verdict and how many certificates were learned ("learned").
// Interruptible (Cancelled).
[[nodiscard]] base::Result<std::vector<engine::SyncResult>> syncMail(store::Database& db, const store::Account& account,
                                                                     const MailSyncRequest& request);

struct CachedRawMessage {
    store::CachedFolder folder;
    std::string raw;
};

// The message UID of `folderName` from the offline copy; a body not fetched yet is fetched (and
// opened, harvested and kept as syncMail does). Errors: those of the store and the server.
[[nodiscard]] base::Result<CachedRawMessage> loadMailMessage(store::Database& db, const store::Account& account,
                                                             const std::string& folderName, std::uint64_t uid);

} // namespace sealpost::cli
