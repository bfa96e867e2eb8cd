#pragma once

#include "crypto/Identity.h"

#include <string_view>

namespace sealpost::crypto {

// Reads a PKCS#12 file: modern (AES/PBKDF2) and legacy (RC2-40, 3DES) ones. Errors: WrongPassword,
// MalformedInput, or MalformedInput when the file holds no private key with a matching certificate.
[[nodiscard]] base::Result<Identity> parsePkcs12(base::ByteView data, std::string_view password);

enum class Pkcs12Format {
    // PBES2: AES-256-CBC with PBKDF2-HMAC-SHA256 for the key and the certificates, MAC SHA-256
    // (what OpenSSL 3 writes by default; OpenSSL, NSS and current Windows read it).
    Modern,
    // pbeWithSHAAnd3-KeyTripleDES-CBC for the key and the certificates, MAC SHA-1: for readers
    // that know nothing newer (GnuPG 2.2's gpgsm, older Windows).
    Legacy,
};

// Writes the identity (key, certificate, chain) as a password-protected PKCS#12 file (DER). The
// key is only ever encrypted in the output. The friendly name is the certificate's first e-mail
// address. InvalidArgument for an empty password or a key that does not match the certificate.
[[nodiscard]] base::Result<base::Bytes> writePkcs12(const Identity& identity, std::string_view password,
                                                    Pkcs12Format format);

} // namespace sealpost::crypto
