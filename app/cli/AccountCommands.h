#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

int runAccount(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
