#include "BatchCommand.h"

#include "Commands.h"

#include <iostream>

namespace sealpost::cli {

int runSendBatch(const std::vector<std::string>& /*args*/, const GlobalOptions& /*global*/) {
    std::cerr << "sealpost-cli send --batch: not available yet\n";
    return kExitUsage;
}

} // namespace sealpost::cli
