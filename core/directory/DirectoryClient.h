#pragma once

#include "base/Result.h"
#include "directory/DirectoryTypes.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::directory {

struct ClientOptions {
    // Where the API lives, without "/v1": "https://keys.example.net" (a path prefix is kept).
    // https only; http only to a loopback host (tests, a local proxy).
    std::string baseUrl;
    std::string caFile; // extra TLS trust anchors (PEM) for a private directory; "" for the system's only
    // Sent as "Authorization: Bearer ..." with submissions: the operator's publisher token, which
    // `provenance=enrolled` needs (the CA publishing what it issued). Empty for everyone else.
    std::string bearerToken;
    std::chrono::seconds connectTimeout{10};
    std::chrono::seconds totalTimeout{60};
    std::size_t maxResponseBytes = std::size_t{8} << 20; // a larger answer is a ProtocolError
    // Asked during transfers; true stops the request with Cancelled.
    std::function<bool()> cancelled;
};

// The directory's HTTP API (docs/directory-api.md) over libcurl. Errors a caller can act on:
//   Unreachable        no connection (name not found, refused, connect timeout)
//   UntrustedServer    the TLS certificate is not trusted
//   TemporaryFailure   5xx, 429 (see lastRetryAfter), a dropped connection or a total timeout
//   PermanentFailure   the directory refused the request (4xx other than 422 for a submission)
//   ProtocolError      an answer that is not what the API promises, or larger than maxResponseBytes
//   Cancelled          the cancellation callback said so
//   InvalidArgument    a bad base URL or address
// One client is used by one thread at a time.
class DirectoryClient {
public:
    explicit DirectoryClient(ClientOptions options);

    // POST /v1/lookup with the addresses (normalised here), 100 per request; results in order.
    [[nodiscard]] base::Result<std::vector<AddressCertificates>> lookup(std::span<const std::string> addresses);

    // POST /v1/certs?provenance=... with the PEM chain (leaf first). A refusal (422) is a result
    // with status Rejected, not an error.
    [[nodiscard]] base::Result<SubmissionResult> submit(std::span<const crypto::Certificate> chain,
                                                        std::string_view provenance);

    // GET /v1/can-encrypt/{address}.
    [[nodiscard]] base::Result<CanEncrypt> canEncrypt(std::string_view address);

    // The Retry-After of the last answer (429, 503), when it had one.
    [[nodiscard]] std::optional<std::chrono::seconds> lastRetryAfter() const noexcept { return m_retryAfter; }

    static constexpr std::size_t kBatchSize = 100;

private:
    ClientOptions m_options;
    std::optional<std::chrono::seconds> m_retryAfter;
};

} // namespace sealpost::directory
