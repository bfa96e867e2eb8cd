#pragma once

#include "crypto/Identity.h"
#include "mime/MimeEntity.h"
#include "smime/OpenReport.h"

#include <span>
#include <string_view>

namespace sealpost::smime {

struct OpenOptions {
    std::span<const crypto::Identity> identities;      // keys to decrypt with, tried in order
    std::span<const crypto::Certificate> trustAnchors; // any certificate may be an anchor
    base::TimePoint at;                                // "now" for certificate validity
    mime::ParseLimits limits;
    int maxLayers = 8;                                 // nested S/MIME layers before giving up
};

// Decrypts and verifies `message`, however its layers are nested, and reports for every
// displayed part what protects it. Security problems (bad signature, wrong key, wrapping
// attacks) are values in the report; an Error means the input is not a usable message at all.
[[nodiscard]] base::Result<OpenedMessage> openMessage(std::string_view message, const OpenOptions& options);

} // namespace sealpost::smime
