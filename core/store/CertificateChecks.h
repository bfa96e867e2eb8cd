#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"

namespace sealpost::store {

// Small read-only questions about a correspondent's certificate that core/crypto does not answer
// (yet). Kept here so the store does not edit the crypto layer; candidates to move there.

// notBefore <= at < notAfter.
[[nodiscard]] bool isValidAt(const crypto::Certificate& cert, base::TimePoint at);

// True when the certificate has no extendedKeyUsage or lists emailProtection (RFC 8550 4.4.4).
// anyExtendedKeyUsage alone does not count: S/MIME clients (NSS, OpenSSL's smime purpose) also
// want emailProtection.
[[nodiscard]] bool allowsEmailProtection(const crypto::Certificate& cert);

// True when we can encrypt to the key and its keyUsage (if present) allows it: keyEncipherment
// for RSA key transport, keyAgreement for EC (ECDH). Other key types (RSA-PSS, Ed25519, ...) are
// not fit for CMS encryption.
[[nodiscard]] bool allowsEncryption(const crypto::Certificate& cert);

// True when both certificates carry the same public key (a re-issued certificate keeps it).
[[nodiscard]] bool hasSamePublicKey(const crypto::Certificate& a, const crypto::Certificate& b);

} // namespace sealpost::store
