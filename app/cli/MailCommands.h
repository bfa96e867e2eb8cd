#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit code when the mail server could not be reached or refused (see the error name printed).
constexpr int kExitServerFailure = 3;

int runSync(const std::vector<std::string>& args, const GlobalOptions& global);
int runList(const std::vector<std::string>& args, const GlobalOptions& global);
int runShow(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
