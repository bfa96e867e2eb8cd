#pragma once

#include "crypto/PrivateKey.h"

#include <memory>

struct evp_pkey_st;

namespace sealpost::crypto {

// A key used only for its public half: verifying signatures, exporting as a JWK. It may share
// the handle of a PrivateKey (the private half is then simply never used).
class PublicKey {
public:
    [[nodiscard]] static PublicKey adopt(evp_pkey_st* key);
    [[nodiscard]] static PublicKey of(const PrivateKey& key);
    // A DER SubjectPublicKeyInfo (RSA or EC); MalformedInput otherwise, trailing bytes included.
    [[nodiscard]] static base::Result<PublicKey> fromSpkiDer(base::ByteView der);

    [[nodiscard]] KeyType type() const;
    [[nodiscard]] int bits() const;
    // Same public parameters (type, modulus/exponent or curve/point).
    [[nodiscard]] bool sameAs(const PublicKey& other) const;
    // DER SubjectPublicKeyInfo.
    [[nodiscard]] base::Result<base::Bytes> spkiDer() const;
    [[nodiscard]] evp_pkey_st* native() const noexcept { return m_key.get(); }

private:
    explicit PublicKey(std::shared_ptr<evp_pkey_st> key) : m_key(std::move(key)) {}
    std::shared_ptr<evp_pkey_st> m_key;
};

} // namespace sealpost::crypto
