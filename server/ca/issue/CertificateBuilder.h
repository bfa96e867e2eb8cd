#pragma once
// Internal to server/ca/issue: one X.509 v3 certificate from a profile, signed by a key.

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "crypto/PrivateKey.h"
#include "crypto/PublicKey.h"

#include <optional>
#include <string>
#include <vector>

namespace sealpost::ca {

// Key usage bits, combined with |.
enum class KeyUsage : unsigned {
    DigitalSignature = 1U << 0U,
    KeyEncipherment = 1U << 1U,
    KeyAgreement = 1U << 2U,
    KeyCertSign = 1U << 3U,
    CrlSign = 1U << 4U,
};
[[nodiscard]] constexpr KeyUsage operator|(KeyUsage a, KeyUsage b) noexcept {
    return static_cast<KeyUsage>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
[[nodiscard]] constexpr bool has(KeyUsage set, KeyUsage bit) noexcept {
    return (static_cast<unsigned>(set) & static_cast<unsigned>(bit)) != 0;
}

struct CertificateProfile {
    std::string commonName;          // empty: an empty subject, and the subjectAltName becomes critical
    std::string organization;        // optional O= before the CN
    std::vector<std::string> emails; // rfc822Name subjectAltNames
    bool isCa = false;               // basicConstraints (always present, critical)
    std::optional<int> pathLength;   // only with isCa
    KeyUsage keyUsage{};             // critical
    bool emailProtection = false;    // extendedKeyUsage emailProtection
    base::TimePoint notBefore;
    base::TimePoint notAfter;
};

// Who signs: `certificate` is the issuer's certificate, or nullptr for a self-signed one (the
// subject key is then the public half of `key`, and no authority key identifier is written).
struct CertificateSigner {
    const crypto::PrivateKey& key;
    const crypto::Certificate* certificate;
};

// A certificate with a fresh 128-bit positive random serial, subject and authority key
// identifiers, signed with SHA-384 when the signer is a P-384 key, SHA-256 otherwise.
// InvalidArgument for an unusable profile, CryptoFailure when OpenSSL fails.
[[nodiscard]] base::Result<crypto::Certificate> buildCertificate(const crypto::PublicKey& subjectKey,
                                                                 const CertificateProfile& profile,
                                                                 const CertificateSigner& signer);

} // namespace sealpost::ca
