#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"

#include <span>
#include <string>
#include <vector>

namespace sealpost::crypto {

// What the leaf certificate is checked for besides the chain.
enum class ChainPurpose {
    SmimeSigning, // OpenSSL's S/MIME signing purpose: digitalSignature/nonRepudiation, emailProtection
    AnyLeaf,      // no leaf purpose check (the caller checks keyUsage/EKU for its own use)
};

enum class ChainProblem {
    None,
    Expired,      // a certificate on the path has expired at the check time
    NotYetValid,  // a certificate on the path is not valid yet at the check time
    WrongPurpose, // the path is fine, but the leaf or a CA is not for this purpose
    Untrusted,    // no path to an anchor, or a broken certificate on it
};

struct ChainCheck {
    bool valid = false;
    ChainProblem problem = ChainProblem::None;
    std::string detail;             // OpenSSL's verify error text when not valid
    std::vector<Certificate> chain; // leaf first, anchor last (when valid)
};

// Builds and checks the path from `leaf` to one of `anchors` at time `at`, with `untrusted` as
// candidate intermediates. Any anchor may be an intermediate (partial chains are accepted:
// enterprises pin intermediates). Never an error: a failed check is a value.
[[nodiscard]] ChainCheck checkChain(const Certificate& leaf, std::span<const Certificate> untrusted,
                                    std::span<const Certificate> anchors, base::TimePoint at, ChainPurpose purpose);

// The operating system's trust anchors (OpenSSL's default CA file, on Debian the bundle from the
// ca-certificates package). An empty list when the file does not exist; Io when it cannot be read.
[[nodiscard]] base::Result<std::vector<Certificate>> loadSystemTrustAnchors();

} // namespace sealpost::crypto
