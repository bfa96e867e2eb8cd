#pragma once
// Internal DER helpers for the few structures OpenSSL has no public API for.

#include "base/Bytes.h"
#include "crypto/OpenSslHandles.h"

#include <optional>

namespace sealpost::crypto {

// DER of IssuerAndSerialNumber's inner fields wrapped in `tag` (0x30 for the SEQUENCE form,
// 0xA0 for SMIMEEncryptionKeyPreference's [0] IMPLICIT form).
[[nodiscard]] base::Bytes encodeIssuerAndSerial(X509* cert, std::uint8_t tag);

// Finds the certificate in `certs` that an encoded IssuerAndSerialNumber (either tag) names.
[[nodiscard]] X509* findByIssuerAndSerial(base::ByteView encoded, STACK_OF(X509) * certs);

// Appends a DER tag-length header for `length` content bytes.
void appendDerHeader(base::Bytes& out, std::uint8_t tag, std::size_t length);

} // namespace sealpost::crypto
