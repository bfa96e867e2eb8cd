#pragma once

#include "base/Result.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::acme {

enum class HttpMethod { Get, Head, Post };

struct HttpRequest {
    HttpMethod method = HttpMethod::Get;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers; // name, value
    std::string body;                                         // POST only
};

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // every field, in order, names as sent
    std::string body;

    // The first field named `name` (case-insensitive), nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // Every field named `name` (case-insensitive), e.g. several Link fields.
    [[nodiscard]] std::vector<std::string> headerValues(std::string_view name) const;
};

// One HTTP exchange. Any HTTP status is a response; errors are for exchanges that did not happen
// or were cut short: Cancelled (the stop token was triggered), Unreachable, UntrustedServer,
// TemporaryFailure (timed out after connecting), ProtocolError (answer too large),
// InvalidArgument (a URL the transport refuses). Implementations may be used from one thread at a
// time.
class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    [[nodiscard]] virtual base::Result<HttpResponse> send(const HttpRequest& request, std::stop_token stop) = 0;
};

struct CurlTransportOptions {
    std::string caFile; // extra PEM trust anchors (a private test CA); empty: none
    std::chrono::seconds connectTimeout{15};
    std::chrono::seconds totalTimeout{60};
    std::size_t maxResponseBytes = std::size_t{1024} * 1024;
    std::string userAgent; // empty: "Sealpost/<version>"
};

// libcurl: https, or http to a loopback address (test servers); redirects are not followed.
[[nodiscard]] std::unique_ptr<HttpTransport> makeCurlTransport(CurlTransportOptions options);

} // namespace sealpost::acme
