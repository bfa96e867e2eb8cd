#include "crypto/CmsTypes.h"

namespace sealpost::crypto {

std::string_view cipherName(ContentCipher c) noexcept {
    switch (c) {
    case ContentCipher::Aes256Gcm: return "aes-256-gcm";
    case ContentCipher::Aes128Gcm: return "aes-128-gcm";
    case ContentCipher::Aes256Cbc: return "aes-256-cbc";
    case ContentCipher::Aes128Cbc: return "aes-128-cbc";
    }
    return "unknown";
}

std::optional<ContentCipher> cipherFromName(std::string_view name) noexcept {
    for (auto c :
         {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
        if (cipherName(c) == name) {
            return c;
        }
    }
    return std::nullopt;
}

bool isAuthenticated(ContentCipher c) noexcept {
    return c == ContentCipher::Aes256Gcm || c == ContentCipher::Aes128Gcm;
}

std::string_view micalgName(DigestAlgorithm d) noexcept {
    switch (d) {
    case DigestAlgorithm::Sha256: return "sha-256";
    case DigestAlgorithm::Sha384: return "sha-384";
    case DigestAlgorithm::Sha512: return "sha-512";
    }
    return "unknown";
}

std::optional<DigestAlgorithm> digestFromName(std::string_view name) noexcept {
    if (name == "sha256" || name == "sha-256") {
        return DigestAlgorithm::Sha256;
    }
    if (name == "sha384" || name == "sha-384") {
        return DigestAlgorithm::Sha384;
    }
    if (name == "sha512" || name == "sha-512") {
        return DigestAlgorithm::Sha512;
    }
    return std::nullopt;
}

} // namespace sealpost::crypto
