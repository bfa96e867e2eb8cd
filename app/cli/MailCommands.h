#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

int runSync(const std::vector<std::string>& args, const GlobalOptions& global);
int runList(const std::vector<std::string>& args, const GlobalOptions& global);
int runShow(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
