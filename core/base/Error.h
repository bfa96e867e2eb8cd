#pragma once

#include <string>
#include <string_view>

namespace sealpost::base {

// What went wrong, as a value the caller can branch on. Core produces no user-facing text:
// `detail` is technical (file names, OpenSSL's error queue) and is meant for logs and for the
// CLI's one-line error, while front ends map `code` to translated messages.
enum class ErrorCode {
    InvalidArgument,  // misuse by the caller (empty recipient list, unknown cipher name)
    Io,               // a file or stream could not be read or written
    MalformedInput,   // input is not well-formed MIME, CMS, PEM, DER, ...
    Unsupported,      // well-formed, but uses something we do not implement
    LimitExceeded,    // input exceeds a safety limit (nesting depth, header size, ...)
    WrongPassword,    // a password or passphrase did not open the protected data
    NoMatchingKey,    // none of the given keys belongs to a recipient of the message
    DecryptionFailed, // the key matched but the content could not be decrypted/authenticated
    CryptoFailure,    // an OpenSSL operation failed unexpectedly
    Cancelled,        // the caller asked to stop
    // Talking to servers (IMAP, SMTP, HTTP). Each is something a user can act on differently.
    Unreachable,      // no connection: name not found, connection refused, timed out
    UntrustedServer,  // TLS: the server's certificate is not trusted (or not the pinned one)
    AuthFailed,       // the server refused the user name and password (or token)
    TemporaryFailure, // the server or the network failed for now (4xx, dropped connection): retry later
    PermanentFailure, // the server refused for good (5xx, e.g. unknown recipient): retrying will not help
    ProtocolError,    // the server answered something we cannot understand
    NotFound,         // the named thing (account, folder, message) does not exist
};

[[nodiscard]] std::string_view errorCodeName(ErrorCode code) noexcept;

struct Error {
    ErrorCode code;
    std::string detail;
};

} // namespace sealpost::base
