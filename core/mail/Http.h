#pragma once

// One HTTP(S) request over libcurl, shared by the ACME client, the directory client and
// autoconfig discovery. Internal: include it only from .cpp files of core/ (it names no curl type,
// but its policy is theirs, not an API).

#include "base/Error.h"
#include "base/Result.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::mail::detail {

struct HttpCall {
    std::string_view method = "GET"; // GET, HEAD or POST
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string_view body;            // for POST
    // https always; http only to a loopback host when allowed. Other URLs fail with
    // InvalidArgument: "refusing URL: <refusal>".
    bool allowLoopbackHttp = true;
    std::string_view refusal = "only https is used";
    bool followRedirects = false;       // to https only, at most 3 (never for an http URL)
    std::vector<std::string> connectTo; // CURLOPT_CONNECT_TO entries
    std::string caFile;                 // extra PEM trust anchors; "" for the system's only
    std::chrono::seconds connectTimeout{10};
    std::chrono::seconds totalTimeout{60};
    std::size_t maxResponseBytes = std::size_t{1} << 20;
    base::ErrorCode tooLargeCode = base::ErrorCode::ProtocolError;
    std::string userAgent = "Sealpost";
    bool collectHeaders = false;     // fill HttpAnswer::headers (the final response's)
    std::function<bool()> cancelled; // asked during the transfer; true stops it with Cancelled
};

struct HttpAnswer {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // only with collectHeaders
    std::string body;
    std::string contentType;
    std::optional<std::chrono::seconds> retryAfter;
};

struct HttpSessionState;

// Keeps one libcurl handle, so consecutive requests to a server share its connection and TLS
// session. One thread at a time.
class HttpSession {
public:
    HttpSession();
    ~HttpSession();
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;
    HttpSession(HttpSession&&) noexcept;
    HttpSession& operator=(HttpSession&&) noexcept;

    // Transport failures only: any HTTP status is an answer. Errors: InvalidArgument (URL),
    // Cancelled, `tooLargeCode` for an answer over the limit, TemporaryFailure for a timeout after
    // the connection was made, else as curlFailure (Unreachable, UntrustedServer, ...).
    [[nodiscard]] base::Result<HttpAnswer> perform(const HttpCall& call);

private:
    std::unique_ptr<HttpSessionState> m_state;
};

// A request on a fresh connection.
[[nodiscard]] base::Result<HttpAnswer> httpPerform(const HttpCall& call);

} // namespace sealpost::mail::detail
