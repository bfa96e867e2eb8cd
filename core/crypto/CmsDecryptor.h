#pragma once

#include "crypto/CmsOutline.h"
#include "crypto/Identity.h"

#include <memory>
#include <span>
#include <string>

struct CMS_ContentInfo_st;

namespace sealpost::crypto {

struct Decrypted {
    std::string content; // the plaintext; released only after GCM's tag checked out
    CmsContentType type = CmsContentType::EnvelopedData;
    std::string contentEncryptionOid;
    std::optional<ContentCipher> cipher;
    std::size_t keyIndex = 0; // which of the given identities opened it
};

// An EnvelopedData or AuthEnvelopedData, parsed once. Parsing copies what it needs out of the
// DER, so a caller holding a large message can release the DER before the plaintext is produced
// (peak memory: parsed ciphertext + plaintext, never the DER on top).
class CmsDecryptor {
public:
    // MalformedInput: not CMS, not (Auth)EnvelopedData, or a broken structure.
    [[nodiscard]] static base::Result<CmsDecryptor> parse(base::ByteView der);

    // Decrypts with the first identity that is a recipient. Errors: NoMatchingKey (none of the
    // keys is a recipient), DecryptionFailed (matching key, but the content would not decrypt or
    // authenticate; no plaintext is returned, and what was produced is wiped).
    [[nodiscard]] base::Result<Decrypted> decrypt(std::span<const Identity> identities);

    // For a structure without its encrypted content (readEnvelopedStream()'s envelope): decrypts
    // `content`, the encrypted content, in place and returns it as the plaintext, so ciphertext and
    // plaintext never exist side by side. Errors as decrypt(); on DecryptionFailed the whole
    // buffer is wiped (GCM: nothing is released before the tag checked out). InvalidArgument when
    // the structure carries its own content.
    [[nodiscard]] base::Result<Decrypted> decryptDetached(std::span<const Identity> identities, std::string content);

    // The parsed structure encoded again (DER; the same CMS, not necessarily the same bytes as
    // the input): what to show for a part that could not be decrypted once its input is gone.
    [[nodiscard]] base::Result<base::Bytes> encode() const;

    [[nodiscard]] const CmsOutline& outline() const noexcept { return m_outline; }

private:
    // Index of the first identity that is a recipient, its key set on the structure.
    [[nodiscard]] base::Result<std::size_t> selectRecipient(std::span<const Identity> identities);
    [[nodiscard]] Decrypted describe(std::size_t keyIndex) const;
    [[nodiscard]] static base::Error decryptionFailed(const Identity& id);

    CmsDecryptor(std::shared_ptr<CMS_ContentInfo_st> cms, CmsOutline outline)
        : m_cms(std::move(cms)), m_outline(std::move(outline)) {}
    std::shared_ptr<CMS_ContentInfo_st> m_cms;
    CmsOutline m_outline;
};

// parse() and decrypt() in one step, for callers that keep `der` anyway.
[[nodiscard]] base::Result<Decrypted> decryptCms(base::ByteView der, std::span<const Identity> identities);

} // namespace sealpost::crypto
