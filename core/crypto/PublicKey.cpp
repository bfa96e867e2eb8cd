#include "crypto/PublicKey.h"

#include <openssl/evp.h>

namespace sealpost::crypto {

PublicKey PublicKey::adopt(evp_pkey_st* key) {
    return PublicKey(std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free));
}

PublicKey PublicKey::of(const PrivateKey& key) {
    EVP_PKEY_up_ref(key.native());
    return adopt(key.native());
}

KeyType PublicKey::type() const {
    switch (EVP_PKEY_get_base_id(native())) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return KeyType::Rsa;
    case EVP_PKEY_EC: return KeyType::Ec;
    default: return KeyType::Other;
    }
}

int PublicKey::bits() const {
    return EVP_PKEY_get_bits(native());
}

bool PublicKey::sameAs(const PublicKey& other) const {
    return EVP_PKEY_eq(native(), other.native()) == 1;
}

} // namespace sealpost::crypto
