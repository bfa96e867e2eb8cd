#pragma once

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes: 0 processed (whatever the security status), 1 could not decrypt,
// 2 unusable input or arguments.
constexpr int kExitOk = 0;
constexpr int kExitNotDecrypted = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130; // stopped by SIGINT/SIGTERM after finishing the current item (128 + SIGINT)

int runSign(const std::vector<std::string>& args);
int runEncrypt(const std::vector<std::string>& args);
int runOpen(const std::vector<std::string>& args);

} // namespace sealpost::cli
