#include "http/ListenAddress.h"

#include <charconv>

namespace sealpost::http {

std::optional<ListenAddress> parseListenAddress(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string_view portText = text.substr(colon + 1);
    unsigned int port = 0;
    const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (host.empty() || portText.empty() || ec != std::errc{} || end != portText.data() + portText.size() ||
        port > 65535) {
        return std::nullopt;
    }
    return ListenAddress{std::string(host), static_cast<unsigned short>(port)};
}

} // namespace sealpost::http
