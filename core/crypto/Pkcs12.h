#pragma once

#include "crypto/Identity.h"

#include <string_view>

namespace sealpost::crypto {

// Reads a PKCS#12 file: modern (AES/PBKDF2) and legacy (RC2-40, 3DES) ones. Errors: WrongPassword,
// MalformedInput, or MalformedInput when the file holds no private key with a matching certificate.
[[nodiscard]] base::Result<Identity> parsePkcs12(base::ByteView data, std::string_view password);

} // namespace sealpost::crypto
