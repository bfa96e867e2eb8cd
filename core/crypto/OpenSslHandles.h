#pragma once
// The one place that owns OpenSSL handles: std::unique_ptr with a deleter per OpenSSL type,
// after BoringSSL's bssl::UniquePtr. Internal to core/crypto and its tests; public headers of
// this library only forward-declare OpenSSL structs.
//
// Ownership reminders: *_get0_* returns a borrowed pointer (do not wrap), *_get1_* and *_dup
// return a new reference (wrap it).

#include <climits>
#include <cstddef>
#include <memory>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace sealpost::crypto {

template <typename T> struct OpenSslDeleter;

#define SEALPOST_OPENSSL_DELETER(Type, freeFn)                                                                         \
    template <> struct OpenSslDeleter<Type> {                                                                          \
        void operator()(Type* p) const noexcept { freeFn(p); } /* NOLINT(bugprone-macro-parentheses) */                \
    }

SEALPOST_OPENSSL_DELETER(BIO, BIO_free_all);
SEALPOST_OPENSSL_DELETER(X509, X509_free);
SEALPOST_OPENSSL_DELETER(BIGNUM, BN_free);
SEALPOST_OPENSSL_DELETER(X509_STORE, X509_STORE_free);
SEALPOST_OPENSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
SEALPOST_OPENSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
SEALPOST_OPENSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
SEALPOST_OPENSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
SEALPOST_OPENSSL_DELETER(CMS_ContentInfo, CMS_ContentInfo_free);
SEALPOST_OPENSSL_DELETER(PKCS12, PKCS12_free);
SEALPOST_OPENSSL_DELETER(PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free);
SEALPOST_OPENSSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free);
SEALPOST_OPENSSL_DELETER(ASN1_TYPE, ASN1_TYPE_free);
SEALPOST_OPENSSL_DELETER(ASN1_STRING, ASN1_STRING_free);
SEALPOST_OPENSSL_DELETER(X509_ATTRIBUTE, X509_ATTRIBUTE_free);
SEALPOST_OPENSSL_DELETER(GENERAL_NAMES, GENERAL_NAMES_free);
SEALPOST_OPENSSL_DELETER(EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free);
SEALPOST_OPENSSL_DELETER(X509_REQ, X509_REQ_free);
SEALPOST_OPENSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);

#undef SEALPOST_OPENSSL_DELETER

template <typename T> using OsslPtr = std::unique_ptr<T, OpenSslDeleter<T>>;

// STACK_OF(X509) owning its certificates.
struct X509StackDeleter {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// STACK_OF(X509) borrowing its certificates (only the stack is freed).
struct X509RefStackDeleter {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};
using X509RefStackPtr = std::unique_ptr<STACK_OF(X509), X509RefStackDeleter>;

struct X509AlgorStackDeleter {
    void operator()(STACK_OF(X509_ALGOR) * s) const noexcept { sk_X509_ALGOR_pop_free(s, X509_ALGOR_free); }
};
using X509AlgorStackPtr = std::unique_ptr<STACK_OF(X509_ALGOR), X509AlgorStackDeleter>;

// A read-only memory BIO over caller-owned bytes (no copy).
[[nodiscard]] inline OsslPtr<BIO> memoryBio(const void* data, std::size_t size) {
    if (size > static_cast<std::size_t>(INT_MAX)) {
        return nullptr; // OpenSSL's memory BIO takes an int length
    }
    return OsslPtr<BIO>(BIO_new_mem_buf(data, static_cast<int>(size)));
}

} // namespace sealpost::crypto
