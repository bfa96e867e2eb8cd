#pragma once

#include "base/Result.h"
#include "crypto/PrivateKey.h"
#include "crypto/PublicKey.h"

#include <optional>
#include <string_view>

namespace sealpost::crypto {

// The key types Sealpost generates and its CA accepts (docs/acme.md).
enum class KeySpec { Rsa2048, Rsa3072, Rsa4096, P256, P384 };

// "rsa2048", "rsa3072", "rsa4096", "p256", "p384".
[[nodiscard]] std::string_view keySpecName(KeySpec spec) noexcept;
[[nodiscard]] std::optional<KeySpec> parseKeySpec(std::string_view name) noexcept;

// A fresh key from OpenSSL's default random generator. RSA uses e = 65537.
[[nodiscard]] base::Result<PrivateKey> generateKey(KeySpec spec);

// Which spec a key is (RSA of exactly 2048/3072/4096 bits, P-256, P-384), or nullopt.
[[nodiscard]] std::optional<KeySpec> keySpecOf(const PublicKey& key);

} // namespace sealpost::crypto
