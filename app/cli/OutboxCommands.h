#pragma once

#include "Args.h"
#include "Profile.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "engine/Send.h"
#include "store/AccountStore.h"
#include "store/Database.h"
#include "store/Outbox.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
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

int runSend(const std::vector<std::string>& args, const GlobalOptions& global); // SendCommand.cpp
// The part of send after the draft (also reply's): plans with the account's policy and the
// directory, prints the plan, then (unless refused or --dry-run) builds, queues and sends. Reads
// --account, --from, --plain, --remove, --dry-run and --json from `opts`; returns send's exit code.
int sendDraft(store::Database& db, const Args& opts, engine::Draft& draft, const std::string& command);
int runOutbox(const std::vector<std::string>& args, const GlobalOptions& global);

// Shared by send and outbox.
// A message's line of `outbox list --json`.
[[nodiscard]] nlohmann::ordered_json outboxMessageJson(const store::OutboxMessage& message);
// `--account`, else the account whose address is `from`, else the only one; InvalidArgument or
// NotFound otherwise.
[[nodiscard]] base::Result<store::Account>
accountForSending(store::Database& db, const std::optional<std::string>& named, const std::string& from);
// Sends these outbox rows now (the copies of one message) and prints the flush report; with JSON,
// `head`'s fields come first. The exit code of the first row that did not go out, else 0.
int sendOutboxMessages(store::Database& db, const base::Clock& clock, const std::vector<std::int64_t>& ids, bool asJson,
                       const std::string& command, const nlohmann::ordered_json& head);

} // namespace sealpost::cli
