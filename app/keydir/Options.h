#pragma once

#include "base/Result.h"
#include "keydir/RateLimiter.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::keydir::app {

struct Options {
    std::string host;
    unsigned short port = 0;
    std::string database = "sqlite:keydir.sqlite";
    std::optional<std::string> trustAnchors;
    int threads = 0; // 0: one per core
    RateLimit rateClient{50, 200};
    RateLimit rateAddress{2, 20};
    std::size_t maxBody = std::size_t{256} * 1024;
    std::optional<std::string> publisherTokenFile;
    std::string tlsCert; // both or neither: HTTPS
    std::string tlsKey;
    bool trustForwardedFor = false;
    bool logAddresses = false;
    bool help = false;
    bool version = false;
};

extern const char* const usage;

// Parses the command line (without the program name). InvalidArgument names the bad flag.
[[nodiscard]] base::Result<Options> parseOptions(const std::vector<std::string>& args);

} // namespace sealpost::keydir::app
