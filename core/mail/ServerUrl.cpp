#include "mail/ServerUrl.h"

#include <charconv>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

base::Error invalid(std::string_view url, const std::string& why) {
    return {ErrorCode::InvalidArgument, "server URL \"" + std::string(url) + "\": " + why};
}

} // namespace

base::Result<ServerSettings> parseServerUrl(std::string_view url, std::string_view protocol, bool allowPlaintext) {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) {
        return invalid(url, "expected SCHEME://HOST[:PORT]");
    }
    const std::string_view scheme = url.substr(0, sep);
    std::string_view rest = url.substr(sep + 3);
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    ServerSettings s;
    const bool imap = protocol == "imap";
    const std::string p(protocol);
    if (scheme == p + "s") {
        s.security = Security::ImplicitTls;
        s.port = imap ? 993 : 465;
    } else if (scheme == p) {
        s.security = Security::StartTls;
        s.port = imap ? 143 : 587;
    } else if (scheme == p + "+plain") {
        s.security = Security::Plain;
        s.port = 0;
    } else {
        return invalid(url, "the scheme must be " + p + "s, " + p + " (STARTTLS) or " + p + "+plain");
    }
    std::string_view hostPart = rest;
    std::string_view portPart;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return invalid(url, "unterminated IPv6 literal");
        }
        hostPart = rest.substr(1, close - 1);
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return invalid(url, "unexpected text after the host");
            }
            portPart = after.substr(1);
        }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        hostPart = rest.substr(0, colon);
        portPart = rest.substr(colon + 1);
    }
    if (hostPart.empty() || hostPart.find_first_of("/?#@ []") != std::string_view::npos) {
        return invalid(url, "missing or malformed host (no user name, path or query allowed)");
    }
    s.host = std::string(hostPart);
    if (!portPart.empty() || rest.find(':') != std::string_view::npos) {
        int port = 0;
        const auto [end, ec] = std::from_chars(portPart.data(), portPart.data() + portPart.size(), port);
        if (ec != std::errc{} || end != portPart.data() + portPart.size() || port <= 0 || port > 65535) {
            return invalid(url, "the port must be a number from 1 to 65535");
        }
        s.port = port;
    }
    if (s.security == Security::Plain) {
        if (!allowPlaintext || !isLoopbackHost(s.host)) {
            return invalid(url, "an unencrypted connection is only allowed explicitly, and only to this machine");
        }
        if (s.port == 0) {
            return invalid(url, "give the port of an unencrypted server");
        }
        s.allowPlaintext = true;
    }
    return s;
}

std::string serverUrl(const ServerSettings& server, std::string_view protocol) {
    std::string scheme(protocol);
    if (server.security == Security::ImplicitTls) {
        scheme += "s";
    } else if (server.security == Security::Plain) {
        scheme += "+plain";
    }
    const bool v6 = server.host.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + server.host + "]" : server.host) + ":" + std::to_string(server.port);
}

} // namespace sealpost::mail
