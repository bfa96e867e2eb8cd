#pragma once

#include "base/Error.h"

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
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
};

// Like base::Result, with an AcmeError (the problem document, HTTP status, Retry-After) as its
// error: either a value or the error. Named apart from base::Result so both can be in scope.
template <typename T> class [[nodiscard]] AcmeResult {
public:
    AcmeResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    AcmeResult(AcmeError error) : m_data(std::in_place_index<1>, std::move(error)) {}
    AcmeResult(base::Error error) : m_data(std::in_place_index<1>, AcmeError{std::move(error), {}, 0, {}}) {}

    [[nodiscard]] bool ok() const noexcept { return m_data.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T& value() & {
        assert(ok());
        return std::get<0>(m_data);
    }
    [[nodiscard]] const T& value() const& {
        assert(ok());
        return std::get<0>(m_data);
    }
    [[nodiscard]] T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_data));
    }
    [[nodiscard]] const AcmeError& error() const {
        assert(!ok());
        return std::get<1>(m_data);
    }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, AcmeError> m_data;
};

template <> class [[nodiscard]] AcmeResult<void> {
public:
    AcmeResult() = default;
    AcmeResult(AcmeError error) : m_error(std::move(error)) {}
    AcmeResult(base::Error error) : m_error(AcmeError{std::move(error), {}, 0, {}}) {}

    [[nodiscard]] bool ok() const noexcept { return !m_error.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const AcmeError& error() const {
        assert(m_error);
        return *m_error;
    }

private:
    std::optional<AcmeError> m_error;
};

} // namespace sealpost::acme
