#include "ReceiveCommands.h"

#include "Commands.h"

#include <iostream>

namespace sealpost::cli {

namespace {
int notYet(const char* command) {
    std::cerr << "sealpost-cli " << command << ": not available yet\n";
    return kExitUsage;
}
} // namespace

int runReceive(const std::vector<std::string>& /*args*/, const GlobalOptions& /*global*/) {
    return notYet("receive");
}
int runRead(const std::vector<std::string>& /*args*/, const GlobalOptions& /*global*/) {
    return notYet("read");
}
int runReply(const std::vector<std::string>& /*args*/, const GlobalOptions& /*global*/) {
    return notYet("reply");
}

} // namespace sealpost::cli
