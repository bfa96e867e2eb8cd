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
};

[[nodiscard]] std::string_view errorCodeName(ErrorCode code) noexcept;

struct Error {
    ErrorCode code;
    std::string detail;
};

} // namespace sealpost::base
