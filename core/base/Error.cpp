#include "base/Error.h"

namespace sealpost::base {

std::string_view errorCodeName(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::InvalidArgument: return "invalid-argument";
    case ErrorCode::Io: return "io";
    case ErrorCode::MalformedInput: return "malformed-input";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::LimitExceeded: return "limit-exceeded";
    case ErrorCode::WrongPassword: return "wrong-password";
    case ErrorCode::NoMatchingKey: return "no-matching-key";
    case ErrorCode::DecryptionFailed: return "decryption-failed";
    case ErrorCode::CryptoFailure: return "crypto-failure";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Unreachable: return "unreachable";
    case ErrorCode::UntrustedServer: return "untrusted-server";
    case ErrorCode::AuthFailed: return "auth-failed";
    case ErrorCode::TemporaryFailure: return "temporary-failure";
    case ErrorCode::PermanentFailure: return "permanent-failure";
    case ErrorCode::ProtocolError: return "protocol-error";
    case ErrorCode::NotFound: return "not-found";
    }
    return "unknown";
}

} // namespace sealpost::base
