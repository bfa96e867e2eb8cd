#include "crypto/KeyGen.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"
#include "crypto/PublicKey.h"

#include <array>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <utility>

namespace sealpost::crypto {

namespace {

constexpr std::array<std::pair<KeySpec, std::string_view>, 5> names{{
    {KeySpec::Rsa2048, "rsa2048"},
    {KeySpec::Rsa3072, "rsa3072"},
    {KeySpec::Rsa4096, "rsa4096"},
    {KeySpec::P256, "p256"},
    {KeySpec::P384, "p384"},
}};

std::string curveName(const PublicKey& key) {
    std::array<char, 64> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key.native(), OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(), &length) !=
        1) {
        clearOpenSslErrors();
        return {};
    }
    return {name.data(), length};
}

} // namespace

std::string_view keySpecName(KeySpec spec) noexcept {
    for (const auto& [s, name] : names) {
        if (s == spec) {
            return name;
        }
    }
    return {};
}

std::optional<KeySpec> parseKeySpec(std::string_view name) noexcept {
    for (const auto& [spec, n] : names) {
        if (n == name) {
            return spec;
        }
    }
    return std::nullopt;
}

base::Result<PrivateKey> generateKey(KeySpec spec) {
    EVP_PKEY* key = nullptr;
    switch (spec) {
    case KeySpec::Rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeySpec::Rsa3072: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
    case KeySpec::Rsa4096: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}); break;
    case KeySpec::P256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeySpec::P384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    }
    if (key == nullptr) {
        return openSslError(base::ErrorCode::CryptoFailure, "key generation failed");
    }
    return PrivateKey::adopt(key);
}

std::optional<KeySpec> keySpecOf(const PublicKey& key) {
    switch (key.type()) {
    case KeyType::Rsa:
        if (EVP_PKEY_get_base_id(key.native()) != EVP_PKEY_RSA) {
            return std::nullopt; // RSA-PSS keys cannot decrypt (keyEncipherment)
        }
        switch (key.bits()) {
        case 2048: return KeySpec::Rsa2048;
        case 3072: return KeySpec::Rsa3072;
        case 4096: return KeySpec::Rsa4096;
        default: return std::nullopt;
        }
    case KeyType::Ec: {
        const std::string curve = curveName(key);
        if (curve == "prime256v1" || curve == "P-256") {
            return KeySpec::P256;
        }
        if (curve == "secp384r1" || curve == "P-384") {
            return KeySpec::P384;
        }
        return std::nullopt;
    }
    case KeyType::Other: return std::nullopt;
    }
    return std::nullopt;
}

} // namespace sealpost::crypto
