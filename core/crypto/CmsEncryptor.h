#pragma once

#include "base/ByteSink.h"
#include "crypto/Certificate.h"
#include "crypto/CmsTypes.h"

#include <span>

namespace sealpost::crypto {

struct EncryptOptions {
    ContentCipher cipher = ContentCipher::Aes256Gcm; // GCM -> AuthEnvelopedData (RFC 5083), CBC -> EnvelopedData
    RsaPadding rsaPadding = RsaPadding::Pkcs1v15;    // for RSA recipients; EC recipients use ECDH
};

// Encrypts the concatenation of `content` pieces to every recipient and streams DER (BER with
// indefinite lengths, as every S/MIME peer accepts) to `out`; nothing is held in memory.
[[nodiscard]] base::Result<void> encryptCms(std::span<const base::ByteView> content,
                                            std::span<const Certificate> recipients, const EncryptOptions& options,
                                            base::ByteSink& out);

} // namespace sealpost::crypto
