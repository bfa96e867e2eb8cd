#pragma once

#include "Profile.h"
#include "base/Error.h"
#include "base/Result.h"
#include "store/Database.h"

#include <string>
#include <vector>

namespace sealpost::cli {

int runProfile(const std::vector<std::string>& args, const GlobalOptions& global);
int runIdentity(const std::vector<std::string>& args, const GlobalOptions& global);
int runTrust(const std::vector<std::string>& args, const GlobalOptions& global);

// Shared by the profile-based commands: the one-line error ("sealpost-cli COMMAND: message"),
// returning the exit code (kExitUsage unless told). The profile opens with openProfileDatabase().
int fail(const std::string& command, const std::string& message, int code);
int fail(const std::string& command, const std::string& message);
int fail(const std::string& command, const base::Error& e);

} // namespace sealpost::cli
