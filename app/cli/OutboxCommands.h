#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes of `send`: 0 the server accepted the message; these when it did not (yet).
constexpr int kExitSendQueued = 3;  // a temporary failure: the message waits in the outbox for a retry
constexpr int kExitSendRefused = 4; // the server refused it for good (see the reply printed)

int runSend(const std::vector<std::string>& args, const GlobalOptions& global);
int runOutbox(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
