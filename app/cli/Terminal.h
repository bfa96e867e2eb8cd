#pragma once

#include "base/SecureBuffer.h"

#include <optional>
#include <string>

namespace sealpost::cli {

// Reads one line from the controlling terminal without echoing it; nullopt when there is no
// terminal. One implementation per OS (TerminalPosix.cpp here).
[[nodiscard]] std::optional<base::SecureString> readSecretFromTerminal(const std::string& prompt);

// Whether readSecretFromTerminal could ask (standard input is a terminal).
[[nodiscard]] bool terminalAvailable();

} // namespace sealpost::cli
