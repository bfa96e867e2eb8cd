#pragma once

#include "crypto/CmsTypes.h"
#include "crypto/CmsVerifier.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::smime {

enum class EncryptionState { None, Decrypted, Failed };
enum class SignatureState { None, Valid, Invalid, Untrusted, Expired, Error };

// What the opener noticed, as stable codes (front ends translate them; the CLI prints names).
enum class OpenWarning {
    SignedPartInsideUnprotectedContent,    // signature-wrapping: a signed part next to unsigned ones
    EncryptedPartInsideUnprotectedContent, // EFAIL-style mixing of decrypted and plain parts
    MultipartSignedPartCount,              // multipart/signed without exactly two parts
    MultipartSignedProtocolMismatch,       // protocol parameter or second part is not a PKCS#7 signature
    NoSignerInfos,
    MultipleSigners,
    EContentTypeNotData, // signed content is not id-data
    SignerDoesNotMatchFrom,
    MultipleFromAddresses,
    ProtectedFromDiffers,    // RFC 9788: outer From differs from the protected one
    ProtectedSubjectDiffers, // not raised for hp="cipher" with the outer Subject obscured as "[...]"
    SignerCertificateExpiredSinceSigning,
    SigningTimeInFuture,
    UnauthenticatedEncryption, // CBC without a signature inside: content could be malleated
    DecryptionFailed,
    BrokenSmimePart, // an S/MIME part whose CMS could not be parsed
    NestingLimitReached,
};

[[nodiscard]] std::string_view warningName(OpenWarning w) noexcept;
[[nodiscard]] std::string_view encryptionStateName(EncryptionState s) noexcept;
[[nodiscard]] std::string_view signatureStateName(SignatureState s) noexcept;
[[nodiscard]] std::string_view signerProblemName(crypto::SignerProblem p) noexcept;
[[nodiscard]] SignatureState toSignatureState(crypto::SignatureStatus s) noexcept;

struct SignerReport {
    crypto::SignerResult result;
    std::vector<std::string> emails; // from the certificate
    std::string subject;             // certificate subject
    bool matchesFrom = false;
    bool coversWholeMessage = false; // its signature layer covers every displayed part
};

// One displayed part of the opened message and the protection that applies to it.
struct PartReport {
    std::string path; // "1", "1.2", ... in the opened tree; "" for a single-part message
    std::string contentType;
    bool encrypted = false;
    SignatureState signature = SignatureState::None;
};

struct OpenReport {
    EncryptionState encryption = EncryptionState::None;
    std::optional<crypto::ContentCipher> cipher;
    std::string cipherOid;
    std::string decryptionErrorDetail; // when encryption == Failed
    SignatureState signature = SignatureState::None;
    std::vector<SignerReport> signers;
    std::optional<bool> signerMatchesFrom; // null when nothing is signed
    bool coversWholeMessage = false;       // every layer covers every part (false: unprotected)
    std::optional<std::vector<std::pair<std::string, std::string>>> protectedHeaders;
    std::string headerProtection; // RFC 9788 hp parameter: "cipher", "clear" or ""
    std::string fromAddress;      // the one signer_matches_from compared with
    std::vector<OpenWarning> warnings;
    std::vector<PartReport> parts;
};

} // namespace sealpost::smime
