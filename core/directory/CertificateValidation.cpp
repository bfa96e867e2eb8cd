#include "directory/CertificateValidation.h"

#include "crypto/CertificateChain.h"
#include "crypto/CertificateChecks.h"

namespace sealpost::directory {

std::string_view validationProblemName(ValidationProblem problem) noexcept {
    switch (problem) {
    case ValidationProblem::None: return "none";
    case ValidationProblem::WrongAddress: return "wrong-address";
    case ValidationProblem::Expired: return "expired";
    case ValidationProblem::NotYetValid: return "not-yet-valid";
    case ValidationProblem::Untrusted: return "untrusted";
    case ValidationProblem::WrongPurpose: return "wrong-purpose";
    case ValidationProblem::UnusableKey: return "unusable-key";
    }
    return "unknown";
}

Validation validateForAddress(const crypto::Certificate& leaf, std::span<const crypto::Certificate> intermediates,
                              std::string_view address, std::span<const crypto::Certificate> anchors,
                              base::TimePoint now) {
    if (!leaf.hasEmailAddress(address)) {
        return {ValidationProblem::WrongAddress, "the certificate does not name " + std::string(address)};
    }
    const crypto::ChainCheck chain =
        crypto::checkChain(leaf, intermediates, anchors, now, crypto::ChainPurpose::AnyLeaf);
    if (!chain.valid) {
        switch (chain.problem) {
        case crypto::ChainProblem::Expired: return {ValidationProblem::Expired, chain.detail};
        case crypto::ChainProblem::NotYetValid: return {ValidationProblem::NotYetValid, chain.detail};
        case crypto::ChainProblem::WrongPurpose: return {ValidationProblem::WrongPurpose, chain.detail};
        case crypto::ChainProblem::None:
        case crypto::ChainProblem::Untrusted: break;
        }
        return {ValidationProblem::Untrusted, chain.detail};
    }
    if (!crypto::allowsEmailProtection(leaf)) {
        return {ValidationProblem::WrongPurpose, "extendedKeyUsage without emailProtection"};
    }
    if (!crypto::allowsEncryption(leaf)) {
        return {ValidationProblem::UnusableKey, "the key or its keyUsage does not allow encryption"};
    }
    return {};
}

} // namespace sealpost::directory
