#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"

namespace sealpost::crypto {

// Small read-only questions about a certificate that the chain check does not answer: asked by
// the store when selecting a recipient's certificate and by the directory when accepting one.

// notBefore <= at < notAfter.
[[nodiscard]] bool isValidAt(const Certificate& cert, base::TimePoint at);

// True when the certificate has no extendedKeyUsage or lists emailProtection (RFC 8550 4.4.4).
// anyExtendedKeyUsage alone does not count: S/MIME clients (NSS, OpenSSL's smime purpose) also
// want emailProtection.
[[nodiscard]] bool allowsEmailProtection(const Certificate& cert);

// True when we can encrypt to the key and its keyUsage (if present) allows it: keyEncipherment
// for RSA key transport, keyAgreement for EC (ECDH). Other key types (RSA-PSS, Ed25519, ...) are
// not fit for CMS encryption.
[[nodiscard]] bool allowsEncryption(const Certificate& cert);

// True when both certificates carry the same public key (a re-issued certificate keeps it).
[[nodiscard]] bool hasSamePublicKey(const Certificate& a, const Certificate& b);

} // namespace sealpost::crypto
