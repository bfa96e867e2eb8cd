#include "crypto/Pkcs12.h"

#include "base/SecureBuffer.h"
#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <climits>
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

namespace {

// PBKDF2 iterations for the modern form: far above OpenSSL's 2048, still a fraction of a second.
constexpr int kModernIterations = 100000;
// What gpgsm 2.2 and old Windows expect from a legacy file (the classic default).
constexpr int kLegacyIterations = PKCS12_DEFAULT_ITER;

// A copy of the password that is wiped however the writer leaves.
class WipedString {
public:
    explicit WipedString(std::string_view s) : m_value(s) {}
    WipedString(const WipedString&) = delete;
    WipedString& operator=(const WipedString&) = delete;
    WipedString(WipedString&&) = delete;
    WipedString& operator=(WipedString&&) = delete;
    ~WipedString() { base::secureWipe(m_value.data(), m_value.size()); }
    [[nodiscard]] const char* c_str() const noexcept { return m_value.c_str(); }
    [[nodiscard]] int size() const noexcept { return static_cast<int>(m_value.size()); }

private:
    std::string m_value;
};

} // namespace

base::Result<base::Bytes> writePkcs12(const Identity& identity, std::string_view password, Pkcs12Format format) {
    if (password.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "refusing an empty PKCS#12 password");
    }
    if (password.size() > static_cast<std::size_t>(INT_MAX)) {
        return base::makeError(ErrorCode::InvalidArgument, "PKCS#12 password too long");
    }
    if (auto match = checkKeyMatchesCertificate(identity.key, identity.certificate); !match) {
        return match.error();
    }
    X509StackPtr chain(sk_X509_new_null());
    if (!chain) {
        return openSslError(ErrorCode::CryptoFailure, "out of memory");
    }
    for (const auto& c : identity.chain) {
        if (X509_up_ref(c.native()) != 1 || sk_X509_push(chain.get(), c.native()) <= 0) {
            return openSslError(ErrorCode::CryptoFailure, "cannot collect the chain");
        }
    }
    const bool modern = format == Pkcs12Format::Modern;
    // A non-PBE cipher NID makes OpenSSL use PBES2 with PBKDF2 (HMAC-SHA256 in OpenSSL 3).
    const int pbe = modern ? NID_aes_256_cbc : NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
    const int iterations = modern ? kModernIterations : kLegacyIterations;
    const auto addresses = identity.certificate.emailAddresses();
    const std::string name = addresses.empty() ? std::string() : addresses.front();
    const WipedString pass(password);
    // mac_iter -1: no MAC yet; it is added below with the digest the format asks for.
    OsslPtr<PKCS12> p12(PKCS12_create(pass.c_str(), name.empty() ? nullptr : name.c_str(), identity.key.native(),
                                      identity.certificate.native(), chain.get(), pbe, pbe, iterations, -1, 0));
    if (!p12) {
        return openSslError(ErrorCode::CryptoFailure, "cannot create the PKCS#12 structure");
    }
    if (PKCS12_set_mac(p12.get(), pass.c_str(), pass.size(), nullptr, 0, iterations,
                       modern ? EVP_sha256() : EVP_sha1()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot add the PKCS#12 MAC");
    }
    unsigned char* der = nullptr;
    const int len = i2d_PKCS12(p12.get(), &der);
    if (len <= 0 || der == nullptr) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the PKCS#12 structure");
    }
    base::Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

} // namespace sealpost::crypto
