#include "crypto/PublicKey.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <climits>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace sealpost::crypto {

PublicKey PublicKey::adopt(evp_pkey_st* key) {
    return PublicKey(std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free));
}

PublicKey PublicKey::of(const PrivateKey& key) {
    EVP_PKEY_up_ref(key.native());
    return adopt(key.native());
}

base::Result<PublicKey> PublicKey::fromSpkiDer(base::ByteView der) {
    if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return base::Error{base::ErrorCode::MalformedInput, "public key: empty or oversized SubjectPublicKeyInfo"};
    }
    const unsigned char* p = der.data();
    OsslPtr<EVP_PKEY> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (!key) {
        return openSslError(base::ErrorCode::MalformedInput, "public key: not a DER SubjectPublicKeyInfo");
    }
    if (p != der.data() + der.size()) {
        return base::Error{base::ErrorCode::MalformedInput,
                           "public key: trailing bytes after the SubjectPublicKeyInfo"};
    }
    const int id = EVP_PKEY_get_base_id(key.get());
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
        return base::Error{base::ErrorCode::Unsupported, "public key: neither RSA nor EC"};
    }
    return adopt(key.release());
}

base::Result<base::Bytes> PublicKey::spkiDer() const {
    unsigned char* out = nullptr;
    const int length = i2d_PUBKEY(native(), &out);
    if (length <= 0) {
        return openSslError(base::ErrorCode::CryptoFailure, "public key: cannot encode the SubjectPublicKeyInfo");
    }
    base::Bytes der(out, out + length);
    OPENSSL_free(out);
    return der;
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
