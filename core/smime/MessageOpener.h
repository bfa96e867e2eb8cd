#pragma once

#include "base/ByteSource.h"
#include "crypto/CertificateCache.h"
#include "crypto/Identity.h"
#include "mime/MimeEntity.h"
#include "smime/OpenReport.h"
#include "smime/OpenedMessage.h"

#include <span>
#include <string>
#include <string_view>

namespace sealpost::smime {

struct OpenOptions {
    std::span<const crypto::Identity> identities;      // keys to decrypt with, tried in order
    std::span<const crypto::Certificate> trustAnchors; // any certificate may be an anchor
    base::TimePoint at;                                // "now" for certificate validity
    mime::ParseLimits limits;
    int maxLayers = 8; // nested S/MIME layers before giving up
    // Optional: certificates parsed before, reused when verifying (see crypto::VerifyOptions).
    crypto::CertificateCache* certificateCache = nullptr;
};

// Decrypts and verifies `message`, however its layers are nested, and reports for every
// displayed part what protects it. Security problems (bad signature, wrong key, wrapping
// attacks) are values in the report; an Error means the input is not a usable message at all.
// Encrypted layers are decrypted only at the top (under signature layers at most): an encrypted
// part inside unprotected content stays an attachment (warning EncryptedPartInsideUnprotectedContent).
//
// Takes the message: once its outermost encrypted or opaque-signed layer is decoded the input is
// released (only its top-level header is kept), so a large message is not held twice. The result
// owns every buffer its pieces point into.
[[nodiscard]] base::Result<OpenedMessage> openMessage(std::string&& message, const OpenOptions& options);

// Same, reading the message from `source` (a file). An encrypted message, the one that can be
// large, is opened without ever holding it whole: the top-level header is read, the base64 body
// decoded as it is read, only the CMS envelope is parsed, and the ciphertext is collected into
// one buffer and decrypted in place (peak memory about the size of the plaintext; GCM's tag is
// checked before any of it is opened). Every other case (plain or signed mail, no matching key,
// a failed decryption, a broken or unusual structure) rewinds the source, reads it whole and
// opens it as openMessage(std::string&&) does, so results never depend on the overload; a source
// that cannot rewind is read whole from the start. Errors: those of openMessage(std::string&&),
// Io from the source.
[[nodiscard]] base::Result<OpenedMessage> openMessage(base::ByteSource& source, const OpenOptions& options);

// Same, for a message the caller keeps (it is copied).
[[nodiscard]] base::Result<OpenedMessage> openMessage(std::string_view message, const OpenOptions& options);

} // namespace sealpost::smime
