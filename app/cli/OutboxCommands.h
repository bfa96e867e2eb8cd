#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes of `send`: 0 the server accepted the message; kExitSendRefused when it refused it for
// good (see the reply printed). A message that waits in the outbox for a retry exits with the code
// of what went wrong (serverExitCode: 3 login refused, 4 unreachable, 5 untrusted, 6 server error).
constexpr int kExitSendRefused = 8;
// The connection broke after the whole message had been sent: the server probably has it, and it
// is held ('unconfirmed') until the user confirms it or sends it again. `send` and `outbox retry`
// for that message; `outbox flush` when any message is held when it ends.
constexpr int kExitUnconfirmed = 9;
// `send` refused before anything was queued: the account's policy or the plan forbids sending it as
// it would go (encryption-required, reply-to-encrypted-would-go-plain, no-recipients).
constexpr int kExitRefusedByPolicy = 12;

int runSend(const std::vector<std::string>& args, const GlobalOptions& global);
int runOutbox(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
