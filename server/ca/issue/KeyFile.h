#pragma once
// Internal to server/ca/issue: the CA's files on disk. Private keys only ever as encrypted
// PKCS#8; files created exclusively, never overwritten.

#include "base/Result.h"
#include "crypto/PrivateKey.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace sealpost::ca {

// PEM "ENCRYPTED PRIVATE KEY": PKCS#8 under PBES2, scrypt (N=2^14, r=8, p=1) and AES-256-CBC.
// InvalidArgument for an empty passphrase.
[[nodiscard]] base::Result<std::string> encryptKeyPem(const crypto::PrivateKey& key, std::string_view passphrase);

// The inverse. InvalidArgument when the text is not one encrypted PKCS#8 PEM block (an
// unencrypted key is refused, not read), WrongPassword when the passphrase does not open it.
[[nodiscard]] base::Result<crypto::PrivateKey> decryptKeyPem(std::string_view pem, std::string_view passphrase);

// Creates `path` with `mode` (exactly, whatever the umask) and writes `content`; Io when the file
// already exists or cannot be written (a partly written file is removed).
[[nodiscard]] base::Result<void> writeNewFile(const std::filesystem::path& path, std::string_view content,
                                              unsigned mode);

// The whole file; Io when it cannot be read.
[[nodiscard]] base::Result<std::string> readWholeFile(const std::filesystem::path& path);

} // namespace sealpost::ca
