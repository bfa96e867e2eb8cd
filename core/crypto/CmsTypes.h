#pragma once

#include <optional>
#include <string_view>

namespace sealpost::crypto {

enum class ContentCipher { Aes256Gcm, Aes128Gcm, Aes256Cbc, Aes128Cbc };
enum class RsaPadding { Pkcs1v15, Oaep };
enum class DigestAlgorithm { Sha256, Sha384, Sha512 };

// What a piece of CMS DER is, from its outer ContentInfo.
enum class CmsContentType { SignedData, EnvelopedData, AuthEnvelopedData, Data, Other };

[[nodiscard]] std::string_view cipherName(ContentCipher c) noexcept; // "aes-256-gcm"
[[nodiscard]] std::optional<ContentCipher> cipherFromName(std::string_view name) noexcept;
[[nodiscard]] bool isAuthenticated(ContentCipher c) noexcept;          // GCM
[[nodiscard]] std::string_view micalgName(DigestAlgorithm d) noexcept; // "sha-256" (RFC 8551 micalg)
[[nodiscard]] std::optional<DigestAlgorithm> digestFromName(std::string_view name) noexcept;

} // namespace sealpost::crypto
