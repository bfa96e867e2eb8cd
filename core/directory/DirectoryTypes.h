#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::directory {

// One certificate as the directory lists it (docs/directory-api.md, "Lookup"). Nothing here is
// trusted yet: validateForAddress() decides whether it may be used.
struct DirectoryCertificate {
    crypto::Certificate certificate;
    std::vector<crypto::Certificate> chain; // intermediates as the submitter sent them, never the leaf
    std::string fingerprint;                // lower-case hex SHA-256 (checked against the certificate)
    base::TimePoint notBefore;
    base::TimePoint notAfter;
    std::string provenance; // "enrolled" | "harvested" | "self" | "submitted" (as the directory says)
    std::optional<base::TimePoint> firstPublished;
};

// The answer for one address, in request order.
struct AddressCertificates {
    std::string address;                            // as requested (normalised)
    std::string addressHash;                        // as the directory answered (checked against the address)
    std::vector<DirectoryCertificate> certificates; // empty: nothing current; preferred first
};

enum class SubmissionStatus { Accepted, Unchanged, Rejected };
[[nodiscard]] std::string_view submissionStatusName(SubmissionStatus status) noexcept; // "accepted"

struct SubmissionResult {
    SubmissionStatus status = SubmissionStatus::Rejected;
    std::string fingerprint;                // when accepted or unchanged
    std::vector<std::string> addressHashes; // when accepted or unchanged
    std::string reason;                     // when rejected: "expired", "untrusted", ...
    std::string detail;
};

struct CanEncrypt {
    bool canEncrypt = false;
    std::optional<base::TimePoint> validUntil;
};

// An error body ({"error": CODE, "detail": TEXT}, plus "retry_after" for 429).
struct ErrorBody {
    std::string error;
    std::string detail;
    std::string reason; // 422 rejections
    std::optional<std::chrono::seconds> retryAfter;
};

} // namespace sealpost::directory
