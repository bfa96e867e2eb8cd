#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <memory>
#include <optional>
#include <string_view>

struct evp_pkey_st;

namespace sealpost::crypto {

enum class KeyType { Rsa, Ec, Other };

class PrivateKey {
public:
    [[nodiscard]] static PrivateKey adopt(evp_pkey_st* key);
    [[nodiscard]] static PrivateKey share(evp_pkey_st* key);

    // PEM (PKCS#8, traditional RSA/EC, encrypted PKCS#8) or DER (PKCS#8, plain or encrypted).
    // An encrypted key without a password, or with a wrong one, gives WrongPassword.
    [[nodiscard]] static base::Result<PrivateKey> parse(base::ByteView data,
                                                        std::optional<std::string_view> password = std::nullopt);

    // Unencrypted PKCS#8 DER, for storage inside the encrypted profile only. The caller wipes it
    // (base::secureWipe) when done.
    [[nodiscard]] base::Result<base::Bytes> pkcs8Der() const;

    [[nodiscard]] KeyType type() const;
    [[nodiscard]] int bits() const;
    [[nodiscard]] evp_pkey_st* native() const noexcept { return m_key.get(); }

private:
    explicit PrivateKey(std::shared_ptr<evp_pkey_st> key) : m_key(std::move(key)) {}
    std::shared_ptr<evp_pkey_st> m_key;
};

} // namespace sealpost::crypto
