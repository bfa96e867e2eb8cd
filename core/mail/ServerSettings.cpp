#include "mail/ServerSettings.h"

#include <arpa/inet.h>
#include <array>

namespace sealpost::mail {

std::string_view securityName(Security s) noexcept {
    switch (s) {
    case Security::ImplicitTls: return "tls";
    case Security::StartTls: return "starttls";
    case Security::Plain: return "plain";
    }
    return "tls";
}

std::optional<Security> parseSecurity(std::string_view name) noexcept {
    for (const auto s : {Security::ImplicitTls, Security::StartTls, Security::Plain}) {
        if (securityName(s) == name) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view authMethodName(AuthMethod m) noexcept {
    switch (m) {
    case AuthMethod::Plain: return "plain";
    case AuthMethod::Login: return "login";
    case AuthMethod::XOAuth2: return "xoauth2";
    }
    return "plain";
}

std::optional<AuthMethod> parseAuthMethod(std::string_view name) noexcept {
    for (const auto m : {AuthMethod::Plain, AuthMethod::Login, AuthMethod::XOAuth2}) {
        if (authMethodName(m) == name) {
            return m;
        }
    }
    return std::nullopt;
}

bool isLoopbackHost(std::string_view host) noexcept {
    if (host == "localhost" || host == "::1" || host == "[::1]") {
        return true;
    }
    std::array<char, INET_ADDRSTRLEN> text{};
    if (host.size() >= text.size()) {
        return false;
    }
    host.copy(text.data(), host.size());
    in_addr addr{};
    return inet_pton(AF_INET, text.data(), &addr) == 1 && (ntohl(addr.s_addr) >> 24U) == 127U;
}

} // namespace sealpost::mail
