#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"
#include "crypto/CertificateCache.h"
#include "crypto/CmsTypes.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealpost::crypto {

// The verdict on one signer. A bad signature is a value here, never an error.
enum class SignatureStatus {
    Valid,     // signature checks out, chain to an anchor, usable for e-mail at the relevant time
    Invalid,   // the signature or the content digest does not match (tampered or forged)
    Untrusted, // signature fine, but the certificate does not chain to an anchor or is not for e-mail
    Expired,   // signature fine, but the certificate was not valid when it signed (or now, lacking a signing time)
    Error,     // could not be checked at all (signer certificate missing, unsupported algorithm)
};

enum class SignerProblem {
    None,
    BadSignature,
    DigestMismatch,
    SignerCertificateMissing,
    ChainUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    NotForEmailProtection,
    UnsupportedAlgorithm,
};

struct SignerResult {
    std::optional<Certificate> certificate;
    SignatureStatus status = SignatureStatus::Error;
    SignerProblem problem = SignerProblem::None;
    std::string detail; // technical, e.g. OpenSSL's chain error string
    std::optional<base::TimePoint> signingTime;
    bool expiredSinceSigning = false;        // valid when it signed, expired at the check time
    bool announcedCapabilities = false;      // SMIMECapabilities present
    std::vector<ContentCipher> capabilities; // the ones we know, in the sender's order
    std::optional<Certificate> encryptionKeyPreference;
    std::vector<Certificate> chain; // the path that made the signature Valid: signer first, anchor last
};

struct VerifyOptions {
    std::span<const Certificate> trustAnchors; // any certificate may be an anchor (root or intermediate)
    base::TimePoint at;                        // "now" for validity checks
    // Optional: certificates already parsed, reused instead of parsed again (results are the
    // same with or without). Kept last so that {anchors, at} initialisations stay valid.
    CertificateCache* certificateCache = nullptr;
};

struct Verified {
    std::vector<SignerResult> signers; // empty when the SignedData has no signerInfos
    std::string eContentTypeOid;       // "1.2.840.113549.1.7.1" (id-data) for S/MIME
    bool detached = true;
    std::string content;                   // the encapsulated content when not detached
    std::vector<Certificate> certificates; // the certificate bag
};

// Verifies SignedData. `detachedContent` are the exact signed bytes for a detached signature
// (for multipart/signed: the first part as received); ignored when the content is encapsulated.
// Errors only for input that is not SignedData at all (MalformedInput) or a detached signature
// without content (InvalidArgument); everything about signers is in the result.
[[nodiscard]] base::Result<Verified> verifyCms(base::ByteView der, std::span<const base::ByteView> detachedContent,
                                               const VerifyOptions& options);

} // namespace sealpost::crypto
