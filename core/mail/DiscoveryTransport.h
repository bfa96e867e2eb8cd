#pragma once

// The network side of discover(): HTTPS fetches of autoconfig documents and connection probes of
// guessed servers, over libcurl. Internal to core/mail.

#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail::detail {

struct FetchOptions {
    std::vector<std::string> connectTo;
    std::string caFile;
    bool allowHttpForLoopback = false;
    std::chrono::seconds timeout{10};
    std::chrono::seconds connectTimeout{3};
    const std::atomic<bool>* cancel = nullptr;
};

// GETs `url` (https only; http only for a loopback host when allowed), following at most 3
// redirects (to https), reading at most kMaxAutoconfigSize bytes. NotFound for 404/410.
[[nodiscard]] base::Result<std::string> fetchHttps(const std::string& url, const FetchOptions& options);

// Connects to `server` without logging in (TLS handshake or STARTTLS, greeting, NOOP).
[[nodiscard]] base::Result<void> probeServer(const ServerSettings& server, std::string_view scheme,
                                             const std::vector<std::string>& connectTo);

} // namespace sealpost::mail::detail
