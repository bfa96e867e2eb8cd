#include "crypto/Pkcs12.h"

#include "base/SecureBuffer.h"
#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <array>
#include <climits>
#include <memory>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
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

// Attempts at a legacy file whose salts gpgsm 2.2 reads right: each fails with probability about
// 1/100, so 32 all failing is out of the question short of a broken random generator.
constexpr int kLegacySaltAttempts = 32;

// Whether gpgsm 2.2 derives every 3DES key of this file right (see gpgsmMisderivesTripleDesKey).
// Only bags protected with pbeWithSHAAnd3-KeyTripleDES-CBC are checked; anything unreadable
// counts as misderived so the writer tries again.
bool gpgsmReadsAllSalts(const PKCS12& p12, std::string_view password) {
    const auto saltOk = [password](const X509_ALGOR* alg) {
        if (OBJ_obj2nid(alg->algorithm) != NID_pbe_WithSHA1And3_Key_TripleDES_CBC) {
            return true;
        }
        std::unique_ptr<PBEPARAM, decltype(&PBEPARAM_free)> pbe(
            static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter)), PBEPARAM_free);
        if (!pbe) {
            return false;
        }
        const base::ByteView salt(ASN1_STRING_get0_data(pbe->salt),
                                  static_cast<std::size_t>(ASN1_STRING_length(pbe->salt)));
        const long iterations = ASN1_INTEGER_get(pbe->iter);
        return iterations > 0 && iterations <= INT_MAX &&
               !gpgsmMisderivesTripleDesKey(salt, static_cast<int>(iterations), password);
    };
    std::unique_ptr<STACK_OF(PKCS7), void (*)(STACK_OF(PKCS7)*)> safes(
        PKCS12_unpack_authsafes(&p12), [](STACK_OF(PKCS7) * s) { sk_PKCS7_pop_free(s, PKCS7_free); });
    if (!safes) {
        return false;
    }
    for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
        PKCS7* safe = sk_PKCS7_value(safes.get(), i);
        if (OBJ_obj2nid(safe->type) == NID_pkcs7_encrypted) {
            if (!saltOk(safe->d.encrypted->enc_data->algorithm)) {
                return false;
            }
            continue;
        }
        std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), void (*)(STACK_OF(PKCS12_SAFEBAG)*)> bags(
            PKCS12_unpack_p7data(safe),
            [](STACK_OF(PKCS12_SAFEBAG) * b) { sk_PKCS12_SAFEBAG_pop_free(b, PKCS12_SAFEBAG_free); });
        for (int j = 0; bags && j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j) {
            const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags.get(), j);
            if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag) {
                continue;
            }
            const X509_ALGOR* alg = nullptr;
            X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, nullptr);
            if (alg == nullptr || !saltOk(alg)) {
                return false;
            }
        }
    }
    return true;
}

} // namespace

bool gpgsmMisderivesTripleDesKey(base::ByteView salt, int iterations, std::string_view password) {
    constexpr std::size_t kBlock = 64; // SHA-1's block size: the "v" of RFC 7292 B.2
    constexpr std::size_t kHash = 20;
    constexpr std::size_t kMaxPassword = 31; // what gpgsm 2.2 accepts
    if (salt.empty() || salt.size() > kBlock || iterations < 1 || password.empty() || password.size() > kMaxPassword) {
        return false;
    }
    const WipedString pass(password);
    // The password as RFC 7292 wants it: BMPString with a terminating zero.
    unsigned char* uni = nullptr;
    int uniLen = 0;
    if (OPENSSL_utf82uni(pass.c_str(), pass.size(), &uni, &uniLen) == nullptr || uniLen <= 0 ||
        static_cast<std::size_t>(uniLen) > kBlock) {
        OPENSSL_clear_free(uni, static_cast<std::size_t>(uniLen));
        clearOpenSslErrors();
        return false;
    }
    // A_1, the first SHA-1 block of the key derivation, is the first 20 bytes of the key.
    std::array<unsigned char, kHash> a1{};
    const bool derived = PKCS12_key_gen_utf8(pass.c_str(), pass.size(), const_cast<unsigned char*>(salt.data()),
                                             static_cast<int>(salt.size()), PKCS12_KEY_ID, iterations,
                                             static_cast<int>(a1.size()), a1.data(), EVP_sha1()) == 1;
    // I = S || P, each one 64-byte block here; step 6C sets every block I_j to (I_j + B + 1) mod
    // 2^512, with B = A_1 repeated. gpgsm goes wrong exactly when the new block starts with 0x00.
    const auto leadingZeroAfterUpdate = [&a1](const auto& byteAt) {
        unsigned carry = 1;
        unsigned sum = 0;
        for (std::size_t k = kBlock; k-- > 0;) {
            sum = byteAt(k) + a1[k % kHash] + carry;
            carry = sum >> 8U;
        }
        return (sum & 0xFFU) == 0;
    };
    const bool misderived =
        derived && (leadingZeroAfterUpdate([&salt](std::size_t k) -> unsigned { return salt[k % salt.size()]; }) ||
                    leadingZeroAfterUpdate([uni, uniLen](std::size_t k) -> unsigned {
                        return uni[k % static_cast<std::size_t>(uniLen)];
                    }));
    OPENSSL_clear_free(uni, static_cast<std::size_t>(uniLen));
    base::secureWipe(a1.data(), a1.size());
    clearOpenSslErrors();
    return misderived;
}

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
    OsslPtr<PKCS12> p12;
    for (int attempt = 0; attempt < kLegacySaltAttempts; ++attempt) {
        // mac_iter -1: no MAC yet; it is added below with the digest the format asks for.
        p12.reset(PKCS12_create(pass.c_str(), name.empty() ? nullptr : name.c_str(), identity.key.native(),
                                identity.certificate.native(), chain.get(), pbe, pbe, iterations, -1, 0));
        if (!p12) {
            return openSslError(ErrorCode::CryptoFailure, "cannot create the PKCS#12 structure");
        }
        if (modern || gpgsmReadsAllSalts(*p12, password)) {
            break;
        }
        p12.reset();
    }
    if (!p12) {
        return base::makeError(
            ErrorCode::CryptoFailure,
            "every legacy PKCS#12 salt drawn would be misread by gpgsm; is the random generator broken?");
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
