#pragma once

#include "base/ByteSource.h"
#include "base/Bytes.h"
#include "base/Result.h"

#include <string>

namespace sealpost::crypto {

// An EnvelopedData or AuthEnvelopedData read from a stream, without ever holding its DER whole:
// the envelope (recipients, algorithms, attributes, GCM tag: a few hundred bytes per recipient)
// encoded again without the encrypted content, and that content in one buffer of its own.
// CmsDecryptor::parse(envelope) then decryptDetached(content) decrypts it in place.
struct StreamedEnvelope {
    base::Bytes envelope; // DER ContentInfo whose EncryptedContentInfo has no encryptedContent
    std::string content;  // the encrypted content, its OCTET STRING chunks joined
};

// Reads one ContentInfo from `in`; what follows it is read and ignored (as d2i does), so errors
// of the source up to its end are reported. `contentSizeHint`: the expected size of the encrypted
// content, reserved once (it is a hint: the content may be shorter or longer).
// Errors: MalformedInput (not BER, truncated, not (Auth)EnvelopedData, no encrypted content),
// Unsupported (content chunks nested deeper than one constructed level: valid BER that OpenSSL
// and NSS never write), LimitExceeded (envelope fields over 1 MiB together), Io and the source's
// own errors.
[[nodiscard]] base::Result<StreamedEnvelope> readEnvelopedStream(base::ByteSource& in, std::size_t contentSizeHint);

} // namespace sealpost::crypto
