#pragma once

#include "base/Error.h"
#include "base/Result.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::acme {

// An identifier as ACME writes it: {"type": "dns"|"email"|..., "value": ...}.
struct Identifier {
    std::string type;
    std::string value;
    friend bool operator==(const Identifier&, const Identifier&) = default;
};

struct AcmeSubproblem {
    std::string type; // full URN, e.g. "urn:ietf:params:acme:error:rejectedIdentifier"
    std::string detail;
    std::optional<Identifier> identifier;
};

// An RFC 7807 problem document as an ACME server sends it (RFC 8555 section 6.7).
struct AcmeProblem {
    std::string type; // full URN as sent; "about:blank" when absent
    std::string detail;
    int status = 0; // the document's "status", else the HTTP status
    std::vector<AcmeSubproblem> subproblems;
    std::vector<std::string> algorithms; // badSignatureAlgorithm: what the server accepts

    // The part after "urn:ietf:params:acme:error:" ("badNonce", "rateLimited", "alreadyReplaced"),
    // empty for a type outside that namespace.
    [[nodiscard]] std::string_view acmeType() const noexcept;
    [[nodiscard]] bool is(std::string_view acmeErrorType) const noexcept { return acmeType() == acmeErrorType; }
};

// Why an ACME operation failed. `error.code` says what the caller can do about it:
// Cancelled, Unreachable/UntrustedServer/TemporaryFailure (retry later; `retryAfter` when the
// server said when), PermanentFailure/AuthFailed/NotFound (the server refused; see `problem`),
// ProtocolError/MalformedInput (the server answered something this client cannot use),
// Unsupported (the server lacks the feature, e.g. no renewalInfo), InvalidArgument (misuse).
struct AcmeError {
    base::Error error;
    std::optional<AcmeProblem> problem; // when the server sent a problem document
    int httpStatus = 0;                 // 0 when no HTTP answer was involved
    std::optional<std::chrono::seconds> retryAfter;

    [[nodiscard]] base::ErrorCode code() const noexcept { return error.code; }
    [[nodiscard]] const std::string& detail() const noexcept { return error.detail; }
    // True when the server's problem type is `acmeErrorType` ("alreadyReplaced", "rateLimited").
    [[nodiscard]] bool isProblem(std::string_view acmeErrorType) const noexcept {
        return problem && problem->is(acmeErrorType);
    }

    AcmeError() = default;
    explicit AcmeError(base::Error e, std::optional<AcmeProblem> p = std::nullopt, int status = 0,
                       std::optional<std::chrono::seconds> after = std::nullopt)
        : error(std::move(e)), problem(std::move(p)), httpStatus(status), retryAfter(after) {}
};

// Like base::Result, with an AcmeError (the problem document, HTTP status, Retry-After) as its
// error; a plain base::Error converts. Named apart from base::Result so both can be in scope.
template <typename T> using AcmeResult = base::BasicResult<T, AcmeError>;

} // namespace sealpost::acme
