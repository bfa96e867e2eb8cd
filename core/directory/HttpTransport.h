#pragma once

// One HTTP request over libcurl for the directory client. Internal to core/directory.

#include "base/Result.h"
#include "directory/DirectoryClient.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::directory::detail {

struct HttpRequest {
    std::string method = "GET"; // GET or POST
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string body;                 // for POST
};

struct HttpResponse {
    long status = 0;
    std::string contentType;
    std::string body;
    std::optional<std::chrono::seconds> retryAfter;
};

// Transport failures only; any HTTP status is a response. LimitExceeded is mapped by the caller.
[[nodiscard]] base::Result<HttpResponse> perform(const HttpRequest& request, const ClientOptions& options);

} // namespace sealpost::directory::detail
