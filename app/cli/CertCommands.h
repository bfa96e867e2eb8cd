#pragma once

#include "Profile.h"

#include <optional>
#include <string>
#include <vector>

namespace sealpost::cli {

// Correspondents' certificates in the profile: cert import|list|show|remove.
int runCert(const std::vector<std::string>& args, const GlobalOptions& global);

// A SHA-256 fingerprint or an unambiguous prefix of it as people type it: at least 8 hex digits,
// any case, colons allowed ("AB:CD:..."). The lower-case hex, or nullopt with `error` set.
[[nodiscard]] std::optional<std::string> fingerprintArgument(const std::string& arg, std::string& error);

} // namespace sealpost::cli
