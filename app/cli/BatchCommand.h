#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// send --batch FILE.jsonl: bulk sending (docs/bulk-send.md).
int runSendBatch(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
