#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes of the account commands besides kExitOk and kExitUsage, one per thing the user does
// differently about it (docs/cli.md).
constexpr int kExitAuthFailed = 3;      // wrong user name or password
constexpr int kExitUnreachable = 4;     // no connection to the server
constexpr int kExitUntrustedServer = 5; // certificate not trusted (or not the pinned one)
constexpr int kExitServerError = 6;     // the server answered, but not as expected (no STARTTLS, ...)
constexpr int kExitNotFound = 7;        // no such account; autoconfig found no server

int runAccount(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
