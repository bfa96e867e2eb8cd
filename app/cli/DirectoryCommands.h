#pragma once

#include "Profile.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "directory/DirectoryLookup.h"
#include "store/Database.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::cli {

// The public key directory: directory set-url|unset-url|show|publish-harvested, lookup, publish.
int runDirectory(const std::vector<std::string>& args, const GlobalOptions& global);
int runLookup(const std::vector<std::string>& args, const GlobalOptions& global);
int runPublish(const std::vector<std::string>& args, const GlobalOptions& global);

// The profile's directory, set up for looking recipients up (encrypt --to, send): the client from
// the profile's settings and the profile's plus the system's trust anchors. `lookup` is empty when
// no directory is configured. Not movable: the lookup points at the client, anchors and clock.
struct ProfileDirectoryLookup {
    std::optional<directory::DirectoryClient> client;
    std::vector<crypto::Certificate> anchors;
    std::optional<directory::DirectoryLookup> lookup;
};
// Errors: store failures, unusable directory settings. `clock` must outlive the result.
[[nodiscard]] base::Result<std::unique_ptr<ProfileDirectoryLookup>> profileDirectoryLookup(store::Database& db,
                                                                                           const base::Clock& clock);

// For encrypt --to: when the profile has a directory, looks up the recipients the profile cannot
// encrypt to yet (validated certificates land in the profile), noting on standard error what the
// directory said. Directory problems are notes, not errors; store failures are errors.
[[nodiscard]] base::Result<void> resolveWithDirectory(store::Database& db, const std::vector<std::string>& to,
                                                      const std::string& command);

// After sync: when the profile has a directory, uploads the queued certificates that are due (what
// the sync just harvested among them) and, unless `quiet`, says in one line on standard output what
// happened. Returns how many were published. Directory problems are notes on standard error, not
// errors; store failures are errors.
[[nodiscard]] base::Result<std::size_t> publishDue(store::Database& db, const std::string& command, bool quiet = false);

} // namespace sealpost::cli
