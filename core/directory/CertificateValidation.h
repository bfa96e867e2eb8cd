#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"

#include <span>
#include <string>
#include <string_view>

namespace sealpost::directory {

// Why a certificate from the directory may not be used for an address. The directory is not
// trusted blindly: every certificate it returns is checked here before it is stored.
enum class ValidationProblem {
    None,
    WrongAddress, // does not name the address it was looked up for
    Expired,      // it or a certificate on its path has expired
    NotYetValid,  // it or a certificate on its path is not valid yet
    Untrusted,    // no path to the profile's or the system's trust anchors
    WrongPurpose, // an extendedKeyUsage without emailProtection (or a CA on the path not for e-mail)
    UnusableKey,  // a key or keyUsage that cannot receive encrypted mail
};
[[nodiscard]] std::string_view validationProblemName(ValidationProblem problem) noexcept; // "wrong-address"

struct Validation {
    ValidationProblem problem = ValidationProblem::None;
    std::string detail; // OpenSSL's verify error, or what exactly was wrong
    [[nodiscard]] bool ok() const noexcept { return problem == ValidationProblem::None; }
};

// Checks `leaf` for encrypting mail to `address` (normalised) at `now`: it names the address,
// chains to one of `anchors` with `intermediates` as untrusted helpers, allows emailProtection
// and has a key fit for encryption. The first failing check is the problem.
[[nodiscard]] Validation validateForAddress(const crypto::Certificate& leaf,
                                            std::span<const crypto::Certificate> intermediates,
                                            std::string_view address, std::span<const crypto::Certificate> anchors,
                                            base::TimePoint now);

} // namespace sealpost::directory
