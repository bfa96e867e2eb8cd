#include "smime/OpenReport.h"

namespace sealpost::smime {

std::string_view warningName(OpenWarning w) noexcept {
    switch (w) {
    case OpenWarning::SignedPartInsideUnprotectedContent: return "signed-part-inside-unprotected-content";
    case OpenWarning::EncryptedPartInsideUnprotectedContent: return "encrypted-part-inside-unprotected-content";
    case OpenWarning::MultipartSignedPartCount: return "multipart-signed-part-count";
    case OpenWarning::MultipartSignedProtocolMismatch: return "multipart-signed-protocol-mismatch";
    case OpenWarning::NoSignerInfos: return "no-signer-infos";
    case OpenWarning::MultipleSigners: return "multiple-signers";
    case OpenWarning::EContentTypeNotData: return "econtent-type-not-data";
    case OpenWarning::SignerDoesNotMatchFrom: return "signer-does-not-match-from";
    case OpenWarning::MultipleFromAddresses: return "multiple-from-addresses";
    case OpenWarning::ProtectedFromDiffers: return "protected-from-differs";
    case OpenWarning::ProtectedSubjectDiffers: return "protected-subject-differs";
    case OpenWarning::SignerCertificateExpiredSinceSigning: return "signer-certificate-expired-since-signing";
    case OpenWarning::SigningTimeInFuture: return "signing-time-in-future";
    case OpenWarning::UnauthenticatedEncryption: return "unauthenticated-encryption";
    case OpenWarning::DecryptionFailed: return "decryption-failed";
    case OpenWarning::BrokenSmimePart: return "broken-smime-part";
    case OpenWarning::NestingLimitReached: return "nesting-limit-reached";
    }
    return "unknown";
}

std::string_view encryptionStateName(EncryptionState s) noexcept {
    switch (s) {
    case EncryptionState::None: return "none";
    case EncryptionState::Decrypted: return "decrypted";
    case EncryptionState::Failed: return "failed";
    }
    return "unknown";
}

std::string_view signatureStateName(SignatureState s) noexcept {
    switch (s) {
    case SignatureState::None: return "none";
    case SignatureState::Valid: return "valid";
    case SignatureState::Invalid: return "invalid";
    case SignatureState::Untrusted: return "untrusted";
    case SignatureState::Expired: return "expired";
    case SignatureState::Error: return "error";
    }
    return "unknown";
}

std::string_view signerProblemName(crypto::SignerProblem p) noexcept {
    using crypto::SignerProblem;
    switch (p) {
    case SignerProblem::None: return "none";
    case SignerProblem::BadSignature: return "bad-signature";
    case SignerProblem::DigestMismatch: return "digest-mismatch";
    case SignerProblem::SignerCertificateMissing: return "signer-certificate-missing";
    case SignerProblem::ChainUntrusted: return "chain-untrusted";
    case SignerProblem::CertificateExpired: return "certificate-expired";
    case SignerProblem::CertificateNotYetValid: return "certificate-not-yet-valid";
    case SignerProblem::NotForEmailProtection: return "not-for-email-protection";
    case SignerProblem::UnsupportedAlgorithm: return "unsupported-algorithm";
    }
    return "unknown";
}

SignatureState toSignatureState(crypto::SignatureStatus s) noexcept {
    switch (s) {
    case crypto::SignatureStatus::Valid: return SignatureState::Valid;
    case crypto::SignatureStatus::Invalid: return SignatureState::Invalid;
    case crypto::SignatureStatus::Untrusted: return SignatureState::Untrusted;
    case crypto::SignatureStatus::Expired: return SignatureState::Expired;
    case crypto::SignatureStatus::Error: return SignatureState::Error;
    }
    return SignatureState::Error;
}

} // namespace sealpost::smime
