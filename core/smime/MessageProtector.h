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
    // RFC 9788 header protection, signed-only (hp="clear"): the message's header fields (From, To,
    // Subject, Date, Message-ID, ...; never Content-*, MIME-Version, Bcc or trace fields) are
    // copied into the signed entity, whose Content-Type gets hp="clear". The outer header stays
    // as it is.
    bool protectHeaders = false;
};

// Signs and/or encrypts an RFC 5322 message. Transport headers (From, To, Subject, ...) stay
// outside; the Content-* headers and body become the protected entity, canonicalised first
// (CRLF line ends; 8-bit or over-long-line bodies re-encoded as quoted-printable or base64).
// The result streams to `out`. Errors: MalformedInput for unparseable MIME, InvalidArgument
// when neither step is requested (or protectHeaders with a Content-Type that already has hp),
// Unsupported for protectHeaders with encryption, plus crypto errors.
[[nodiscard]] base::Result<void> protectMessage(std::string_view message, const ProtectRequest& request,
                                                base::ByteSink& out);

} // namespace sealpost::smime
