#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::http {

struct ListenAddress {
    std::string host; // without the brackets of an IPv6 literal
    unsigned short port = 0;
};

// "HOST:PORT" as the services' --listen / `listen` take it ("[::1]:8080" for IPv6; port 0 for
// any free port). nullopt for a missing host or colon, or a port that is not 0..65535.
[[nodiscard]] std::optional<ListenAddress> parseListenAddress(std::string_view text);

} // namespace sealpost::http
