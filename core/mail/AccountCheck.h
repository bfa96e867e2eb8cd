#pragma once

#include "base/Error.h"
#include "mail/ServerSettings.h"

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::mail {

enum class Protocol { Imap, Smtp };

// The outcome of checkLogin(). `error` is empty when the login worked; otherwise its code tells
// the user what to do: AuthFailed (wrong user name or password), Unreachable (no connection),
// UntrustedServer (certificate not trusted or not the pinned one), ProtocolError (e.g. no
// STARTTLS, TLS on a plaintext port), TemporaryFailure, InvalidArgument (e.g. plaintext refused).
struct LoginCheck {
    std::optional<base::Error> error;
    // The SHA-256 (lower-case hex, of the DER) of the certificate the server presented, when the
    // TLS handshake got that far: what the user may choose to pin for a self-signed server.
    std::string certificateSha256;
    [[nodiscard]] bool ok() const noexcept { return !error.has_value(); }
};

// Connects, logs in and sends NOOP (IMAP: after LOGIN/AUTHENTICATE; SMTP: after EHLO, STARTTLS
// where configured, AUTH). Sends no mail and changes nothing on the server.
[[nodiscard]] LoginCheck checkLogin(const ServerSettings& server, Protocol protocol,
                                    const std::atomic<bool>* cancel = nullptr);

} // namespace sealpost::mail
