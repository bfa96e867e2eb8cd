#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// `status [--json] [--at TIME]`: the profile's identities and, for each current one, its
// enrollment and what the renewal policy would do (docs/cli.md).
int runStatus(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
