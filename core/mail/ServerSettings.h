#pragma once

#include "base/SecureBuffer.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::mail {

// How the connection to a mail server is protected.
enum class Security {
    ImplicitTls, // TLS from the first byte (IMAPS 993, SMTPS/submissions 465)
    StartTls,    // plaintext greeting, then STARTTLS before anything else (IMAP 143, submission 587)
    Plain,       // no TLS at all: refused unless ServerSettings::allowPlaintext and the host is loopback
};

enum class AuthMethod {
    Plain,   // SASL PLAIN (or LOGIN, whichever the server offers): user name and password
    Login,   // SASL LOGIN only
    XOAuth2, // SASL XOAUTH2: `secret` is a bearer token
};

[[nodiscard]] std::string_view securityName(Security s) noexcept; // "tls" | "starttls" | "plain"
[[nodiscard]] std::optional<Security> parseSecurity(std::string_view name) noexcept;
[[nodiscard]] std::string_view authMethodName(AuthMethod m) noexcept; // "plain" | "login" | "xoauth2"
[[nodiscard]] std::optional<AuthMethod> parseAuthMethod(std::string_view name) noexcept;

// Everything needed to reach and log in to one server. Plain data: copy it into a worker thread.
struct ServerSettings {
    std::string host;
    int port = 0;
    Security security = Security::ImplicitTls;
    std::string username;
    std::string secret; // password or OAuth token; the caller keeps it no longer than needed
    AuthMethod auth = AuthMethod::Plain;
    // Lower-case hex SHA-256 of the server certificate's DER. When set, exactly this certificate is
    // accepted (whoever issued it, whatever names it carries) and no other: the user's explicit
    // decision for a server with a self-signed certificate.
    std::string pinnedSha256;
    // Extra trust anchors (PEM file) besides the system's; empty for none.
    std::string caFile;
    bool allowPlaintext = false;
    std::chrono::seconds connectTimeout{20};
    // A transfer slower than 1 byte/s for this long counts as a dropped connection.
    std::chrono::seconds stallTimeout{60};
};

// True for "localhost", 127.0.0.0/8 and ::1: the only hosts Security::Plain may be used with.
[[nodiscard]] bool isLoopbackHost(std::string_view host) noexcept;

} // namespace sealpost::mail
