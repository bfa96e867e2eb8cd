#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// receive: sync + open + harvest + publish the queued certificates (docs/cli.md).
int runReceive(const std::vector<std::string>& args, const GlobalOptions& global);
// read UID: the opened message and its security tree.
int runRead(const std::vector<std::string>& args, const GlobalOptions& global);
// reply UID: answers a cached message, encrypted when the original was (engine::ReplyContext).
int runReply(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
