#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

int runProfile(const std::vector<std::string>& args, const GlobalOptions& global);
int runIdentity(const std::vector<std::string>& args, const GlobalOptions& global);
int runTrust(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
