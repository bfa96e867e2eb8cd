#pragma once

#include "base/ByteSink.h"
#include "crypto/CmsEncryptor.h"
#include "crypto/CmsSigner.h"

#include <optional>
#include <string_view>
#include <vector>

namespace sealpost::smime {

enum class SignatureForm { Detached, Opaque }; // multipart/signed, or application/pkcs7-mime signed-data

struct SignStep {
    crypto::Identity signer;
    SignatureForm form = SignatureForm::Detached;
    crypto::DigestAlgorithm digest = crypto::DigestAlgorithm::Sha256;
    std::optional<crypto::Certificate> encryptionCertificate; // announced as encryption-key preference
};

struct EncryptStep {
    std::vector<crypto::Certificate> recipients; // include the sender to keep the Sent copy readable
    crypto::EncryptOptions options;
};

struct ProtectRequest {
    std::optional<SignStep> sign;       // applied first
    std::optional<EncryptStep> encrypt; // applied to the (signed) entity
    base::TimePoint now;                // signingTime
    // RFC 9788 header protection: the message's header fields (From, To, Cc, Subject, Date,
    // Message-ID, ...; never Content-*, MIME-Version, Bcc or trace fields) are copied into the
    // protected entity (the Cryptographic Payload).
    // - Signed only: its Content-Type gets hp="clear"; the outer header stays as it is.
    // - Encrypted: hp="cipher"; the outer header follows hcp_baseline (Subject "[...]", Keywords,
    //   Comments and Bcc left out, the rest unchanged) and the payload records it in HP-Outer
    //   fields, one per outer field.
    bool protectHeaders = false;
    // With protectHeaders and encryption, when the Subject was obscured: the main text/plain part
    // (see docs/design-notes.md) starts with "Subject: <real subject>" and a blank line, and its
    // Content-Type gets hp-legacy-display="1" (RFC 9788 4.5), for readers without header protection.
    bool legacyDisplay = true;
    // The sender's own copy (Sent folder): with protectHeaders and encryption, the Bcc field is
    // kept inside the payload instead of being dropped. Never set it for a copy that is sent.
    bool keepBcc = false;
};

// Signs and/or encrypts an RFC 5322 message. Transport headers (From, To, Subject, ...) stay
// outside; the Content-* headers and body become the protected entity, canonicalised first
// (CRLF line ends; 8-bit or over-long-line bodies re-encoded as quoted-printable or base64).
// The result streams to `out`. Errors: MalformedInput for unparseable MIME, InvalidArgument
// when neither step is requested (or protectHeaders with a Content-Type that already has hp),
// plus crypto errors.
[[nodiscard]] base::Result<void> protectMessage(std::string_view message, const ProtectRequest& request,
                                                base::ByteSink& out);

} // namespace sealpost::smime
