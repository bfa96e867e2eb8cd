#pragma once

#include "Profile.h"
#include "base/Error.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes: 0 processed (whatever the security status), 1 could not decrypt,
// 2 unusable input or arguments.
constexpr int kExitOk = 0;
constexpr int kExitNotDecrypted = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130; // stopped by SIGINT/SIGTERM after finishing the current item (128 + SIGINT)
// Commands that talk to servers (account, sync, list, show, send, outbox): one exit code per thing
// the user does differently about it (docs/cli.md).
constexpr int kExitAuthFailed = 3;      // wrong user name or password
constexpr int kExitUnreachable = 4;     // no connection to the server
constexpr int kExitUntrustedServer = 5; // certificate not trusted (or not the pinned one)
constexpr int kExitServerError = 6;     // the server answered, but refused or not as expected
constexpr int kExitNotFound = 7;        // no such account, folder or message; autoconfig found no server

// The exit code for an error from a server command: the ones above, else kExitUsage.
[[nodiscard]] int serverExitCode(base::ErrorCode code) noexcept;

// Profile mode (sign/encrypt --from/--to, open with a named profile) uses the global options.
int runSign(const std::vector<std::string>& args, const GlobalOptions& global);
int runEncrypt(const std::vector<std::string>& args, const GlobalOptions& global);
int runOpen(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
