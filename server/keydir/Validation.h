#pragma once

#include "base/Bytes.h"
#include "base/Clock.h"
#include "crypto/Certificate.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::keydir {

// Why a submitted certificate is refused, in the order the checks run (docs/directory-api.md,
// "Acceptance"): the first that fails is the reason.
enum class RejectReason {
    Malformed,
    TooLarge,
    CaCertificate,
    NoAddress,
    WrongAddress,
    NotYetValid,
    Expired,
    Untrusted,
    WrongPurpose,
    UnusableKey,
};
inline constexpr int rejectReasonCount = 10;

// The wire name ("malformed", "too-large", ...).
[[nodiscard]] std::string_view rejectReasonName(RejectReason reason) noexcept;

// How the submission's bytes are packaged (from its Content-Type or the JSON batch).
enum class SubmissionFormat {
    PemChain, // PEM certificates, the leaf first
    Der,      // one DER certificate
    CertsOnly // a CMS/PKCS#7 certs-only bundle (DER or PEM); the leaf issued none of the others
};

struct Submission {
    base::ByteView data;
    SubmissionFormat format = SubmissionFormat::PemChain;
    std::optional<std::string> address; // normalised; when set, the certificate must name it
};

// A certificate that passed every check.
struct AcceptedCert {
    crypto::Certificate leaf;
    std::vector<crypto::Certificate> chain; // the submitted certificates after the leaf, in order
    std::vector<std::string> addressHashes; // of every address it names, without duplicates
    std::string fingerprint;                // lower-case hex SHA-256 of the leaf's DER
};

struct Validation {
    std::optional<AcceptedCert> accepted; // set when every check passed
    RejectReason reason = RejectReason::Malformed;
    std::string detail; // what was found, when rejected
};

inline constexpr std::size_t maxCertificateBytes = 16 * 1024;
inline constexpr std::size_t maxChainCertificates = 8;

// Runs every check of the acceptance table at time `now` against `anchors`. Pure: no I/O.
[[nodiscard]] Validation validateSubmission(const Submission& submission, std::span<const crypto::Certificate> anchors,
                                            base::TimePoint now);

} // namespace sealpost::keydir
