#include "crypto/PrivateKey.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <string>

namespace sealpost::crypto {

using base::ErrorCode;

PrivateKey PrivateKey::adopt(evp_pkey_st* key) {
    return PrivateKey(std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free));
}

PrivateKey PrivateKey::share(evp_pkey_st* key) {
    EVP_PKEY_up_ref(key);
    return adopt(key);
}

namespace {

struct DecoderCtxDeleter {
    void operator()(OSSL_DECODER_CTX* ctx) const noexcept { OSSL_DECODER_CTX_free(ctx); }
};

bool looksEncrypted(std::string_view text) {
    return text.find("ENCRYPTED") != std::string_view::npos;
}

} // namespace

base::Result<PrivateKey> PrivateKey::parse(base::ByteView data, std::optional<std::string_view> password) {
    EVP_PKEY* key = nullptr;
    // The decoder tries every format (PEM/DER, PKCS#8/traditional, encrypted or not) in turn.
    std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxDeleter> ctx(OSSL_DECODER_CTX_new_for_pkey(
        &key, nullptr, nullptr, nullptr, OSSL_KEYMGMT_SELECT_PRIVATE_KEY, nullptr, nullptr));
    if (!ctx) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create key decoder");
    }
    // Always set a passphrase (possibly empty) so OpenSSL never falls back to a terminal prompt.
    const std::string_view pass = password.value_or(std::string_view{});
    OSSL_DECODER_CTX_set_passphrase(ctx.get(), reinterpret_cast<const unsigned char*>(pass.data()), pass.size());
    const unsigned char* p = data.data();
    std::size_t len = data.size();
    if (OSSL_DECODER_from_data(ctx.get(), &p, &len) != 1 || key == nullptr) {
        const bool encrypted = looksEncrypted(base::asString(data)) || password.has_value();
        clearOpenSslErrors();
        if (encrypted && !password) {
            return base::makeError(ErrorCode::WrongPassword, "the private key is encrypted and no password was given");
        }
        if (encrypted) {
            return base::makeError(ErrorCode::WrongPassword,
                                   "cannot decrypt the private key: wrong password, or not a private key");
        }
        return base::makeError(ErrorCode::MalformedInput, "not a PEM or DER private key");
    }
    // The decoder leaves the failures of the formats it tried before the right one on the queue.
    clearOpenSslErrors();
    return adopt(key);
}

base::Result<base::Bytes> PrivateKey::pkcs8Der() const {
    OsslPtr<PKCS8_PRIV_KEY_INFO> info(EVP_PKEY2PKCS8(native()));
    if (!info) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the private key as PKCS#8");
    }
    const int length = i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr);
    if (length <= 0) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the private key as PKCS#8");
    }
    base::Bytes out(static_cast<std::size_t>(length));
    unsigned char* p = out.data();
    i2d_PKCS8_PRIV_KEY_INFO(info.get(), &p);
    return out;
}

KeyType PrivateKey::type() const {
    switch (EVP_PKEY_get_base_id(native())) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return KeyType::Rsa;
    case EVP_PKEY_EC: return KeyType::Ec;
    default: return KeyType::Other;
    }
}

int PrivateKey::bits() const {
    return EVP_PKEY_get_bits(native());
}

} // namespace sealpost::crypto
