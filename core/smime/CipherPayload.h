#pragma once
// Internal to the protector: RFC 9788 header protection for an encrypted message (hp="cipher").

#include "base/Result.h"
#include "mime/MimeEntity.h"

#include <string>

namespace sealpost::smime {

struct CipherPayload {
    // The message to protect, rewritten: HP-Outer fields added to its header and, when the Subject
    // is obscured, the legacy display element at the start of its main text part. CRLF lines.
    std::string message;
    // The outer header (hcp_baseline): every message field but Bcc, Keywords and Comments, the
    // Subject as "[...]"; no MIME-Version or Content-* fields. CRLF lines.
    std::string outerHeader;
};

// `top` must be parsed from a buffer with CRLF line ends. Errors: MalformedInput when the main
// text part cannot be decoded.
[[nodiscard]] base::Result<CipherPayload> prepareCipherPayload(const mime::MimeEntity& top, bool legacyDisplay);

} // namespace sealpost::smime
