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
// address. A Legacy file never uses a salt that gpgsm 2.2 misderives (see below). InvalidArgument
// for an empty password or a key that does not match the certificate.
[[nodiscard]] base::Result<base::Bytes> writePkcs12(const Identity& identity, std::string_view password,
                                                    Pkcs12Format format);

// True when GnuPG 2.2's gpgsm derives the wrong key for a bag protected with
// pbeWithSHAAnd3-KeyTripleDES-CBC under this salt, iteration count and password, so it cannot import
// the file ("possibly bad passphrase"). Its RFC 7292 (appendix B.2) key derivation needs a second
// SHA-1 block for a 24-byte key; when updating the 64-byte blocks of salt and password for it, it
// loses a block's leading zero byte. That happens for about 1 salt in 200, so about 1 legacy file
// in 100 from any writer (OpenSSL included) fails in gpgsm 2.2 (docs/interop.md). Passwords longer than gpgsm accepts
// (31 characters) are outside this check and give false.
[[nodiscard]] bool gpgsmMisderivesTripleDesKey(base::ByteView salt, int iterations, std::string_view password);

} // namespace sealpost::crypto
