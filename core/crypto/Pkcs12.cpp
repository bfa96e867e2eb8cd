#include "crypto/Pkcs12.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <openssl/err.h>
#include <openssl/provider.h>
#include <string>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

// RC2-40 and friends live in OpenSSL 3's legacy provider. It is loaded only around the one
// parse that needs it, so weak ciphers are not accepted elsewhere afterwards (an RC2 message,
// say). A fetch first makes sure the default provider is active through OpenSSL's fallback:
// loading any provider explicitly turns that fallback off for good.
class ScopedLegacyProvider {
public:
    ScopedLegacyProvider() {
        EVP_MD_free(EVP_MD_fetch(nullptr, "SHA256", nullptr));
        m_legacy = OSSL_PROVIDER_load(nullptr, "legacy");
        clearOpenSslErrors();
    }
    ~ScopedLegacyProvider() {
        if (m_legacy != nullptr) {
            OSSL_PROVIDER_unload(m_legacy);
        }
    }
    ScopedLegacyProvider(const ScopedLegacyProvider&) = delete;
    ScopedLegacyProvider& operator=(const ScopedLegacyProvider&) = delete;

private:
    OSSL_PROVIDER* m_legacy = nullptr;
};

} // namespace

base::Result<void> checkKeyMatchesCertificate(const PrivateKey& key, const Certificate& cert) {
    if (X509_check_private_key(cert.native(), key.native()) != 1) {
        clearOpenSslErrors();
        return base::makeError(ErrorCode::InvalidArgument, "the private key does not belong to the certificate");
    }
    return base::Ok{};
}

base::Result<Identity> parsePkcs12(base::ByteView data, std::string_view password) {
    const unsigned char* p = data.data();
    OsslPtr<PKCS12> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
    if (!p12) {
        return openSslError(ErrorCode::MalformedInput, "not a PKCS#12 file");
    }
    const std::string pass(password);
    if (PKCS12_verify_mac(p12.get(), pass.c_str(), static_cast<int>(pass.size())) != 1) {
        clearOpenSslErrors();
        return base::makeError(ErrorCode::WrongPassword, "wrong PKCS#12 password");
    }
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* ca = nullptr;
    if (PKCS12_parse(p12.get(), pass.c_str(), &key, &cert, &ca) != 1) {
        clearOpenSslErrors();
        const ScopedLegacyProvider legacy;
        if (PKCS12_parse(p12.get(), pass.c_str(), &key, &cert, &ca) != 1) {
            return openSslError(ErrorCode::Unsupported, "cannot decrypt the PKCS#12 contents");
        }
    }
    X509StackPtr chain(ca);
    if (key == nullptr || cert == nullptr) {
        EVP_PKEY_free(key);
        X509_free(cert);
        return base::makeError(ErrorCode::MalformedInput, "the PKCS#12 file holds no private key with its certificate");
    }
    Identity identity{PrivateKey::adopt(key), Certificate::adopt(cert), {}};
    for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
        identity.chain.push_back(Certificate::share(sk_X509_value(chain.get(), i)));
    }
    return identity;
}

} // namespace sealpost::crypto
