#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes: 0 processed (whatever the security status), 1 could not decrypt,
// 2 unusable input or arguments.
constexpr int kExitOk = 0;
constexpr int kExitNotDecrypted = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130; // stopped by SIGINT/SIGTERM after finishing the current item (128 + SIGINT)

// Profile mode (sign/encrypt --from/--to, open with a named profile) uses the global options.
int runSign(const std::vector<std::string>& args, const GlobalOptions& global);
int runEncrypt(const std::vector<std::string>& args, const GlobalOptions& global);
int runOpen(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
