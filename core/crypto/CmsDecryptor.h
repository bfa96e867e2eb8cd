#pragma once

#include "crypto/CmsOutline.h"
#include "crypto/Identity.h"

#include <span>
#include <string>

namespace sealpost::crypto {

struct Decrypted {
    std::string content;                 // the plaintext; released only after GCM's tag checked out
    CmsContentType type = CmsContentType::EnvelopedData;
    std::string contentEncryptionOid;
    std::optional<ContentCipher> cipher;
    std::size_t keyIndex = 0;            // which of the given identities opened it
};

// Decrypts EnvelopedData or AuthEnvelopedData with the first identity that is a recipient.
// Errors: MalformedInput (not CMS / not enveloped), NoMatchingKey (none of the keys is a
// recipient), DecryptionFailed (matching key, but the content would not decrypt or authenticate).
[[nodiscard]] base::Result<Decrypted> decryptCms(base::ByteView der, std::span<const Identity> identities);

} // namespace sealpost::crypto
