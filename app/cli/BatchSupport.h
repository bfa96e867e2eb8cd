#pragma once

// What `send --batch` needs from the profile besides the sender: the account and the directory.

#include "base/Result.h"
#include "crypto/Certificate.h"
#include "directory/DirectoryClient.h"
#include "store/AccountStore.h"
#include "store/Database.h"

#include <optional>
#include <string>
#include <vector>

namespace sealpost::cli {

// The named account, else the profile's only one. NotFound / InvalidArgument (several, none named).
[[nodiscard]] base::Result<store::Account> batchAccount(store::Database& db, const std::optional<std::string>& named);

// The profile's trust anchors plus the system's: what directory answers are validated against.
[[nodiscard]] base::Result<std::vector<crypto::Certificate>> batchValidationAnchors(store::Database& db);

// A client for the profile's directory (cancelled by Ctrl-C), nullopt when none is configured.
[[nodiscard]] base::Result<std::optional<directory::DirectoryClient>> batchDirectoryClient(store::Database& db);

} // namespace sealpost::cli
