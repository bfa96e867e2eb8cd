#pragma once

#include "base/ByteSink.h"
#include "base/Clock.h"
#include "crypto/CmsTypes.h"
#include "crypto/Identity.h"

#include <optional>
#include <span>

namespace sealpost::crypto {

struct SignOptions {
    DigestAlgorithm digest = DigestAlgorithm::Sha256;
    bool detached = true;        // false: the content is encapsulated (opaque signed-data)
    base::TimePoint signingTime; // from the caller's Clock, so tests can fix it
    bool includeChain = true;    // attach identity.chain to the certificate bag
    // Announced through SMIMEEncryptionKeyPreference (and Microsoft's variant) and attached;
    // defaults to the signing certificate.
    std::optional<Certificate> encryptionCertificate;
};

// The S/MIME capabilities we announce, most preferred first (RFC 8551 §2.5.2).
[[nodiscard]] std::span<const ContentCipher> advertisedCapabilities() noexcept;

// Signs the concatenation of `content` pieces (already canonical MIME) and writes DER
// SignedData to `out`. Signed attributes: contentType, signingTime, messageDigest,
// SMIMECapabilities, SMIMEEncryptionKeyPreference.
[[nodiscard]] base::Result<void> signCms(std::span<const base::ByteView> content, const Identity& signer,
                                         const SignOptions& options, base::ByteSink& out);

} // namespace sealpost::crypto
