#pragma once

#include "base/Clock.h"
#include "crypto/Certificate.h"
#include "keydir/Answer.h"
#include "keydir/Metrics.h"
#include "keydir/RateLimiter.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::keydir {

class CertStore;

// Where the access log goes (stdout in the executable). Called from many threads at once.
class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(std::string_view line) = 0;
};

struct ApiConfig {
    std::vector<crypto::Certificate> anchors; // --trust-anchors
    std::optional<std::string> publisherToken;
    RateLimit clientLimit{50, 200};
    RateLimit addressLimit{2, 20};
    std::size_t maxBody = std::size_t{256} * 1024;
    bool trustForwardedFor = false;
    bool logAddresses = false;
    std::chrono::milliseconds cacheTtl{2000};
    std::size_t cacheEntries = 1U << 16;
    std::size_t rateLimitKeys = 1U << 17;
};

inline constexpr std::size_t maxBatchEntries = 100;

// A parsed HTTP request, borrowed from the transport for the duration of handle().
struct Request {
    std::string_view method;
    std::string_view target; // origin-form: path and query, still percent-encoded
    std::string_view peerAddress;
    std::optional<std::string_view> accept;
    std::optional<std::string_view> contentType;
    std::optional<std::string_view> ifNoneMatch;
    std::optional<std::string_view> authorization;
    std::optional<std::string_view> forwardedFor;
    bool hasContentLength = false;
    bool bodyTooLarge = false; // the transport refused to read a body over maxBody
    std::string_view body;
};

// The directory API (docs/directory-api.md) as a function from a request to a response,
// independent of the HTTP library. Thread-safe: one instance serves every connection.
class Api {
public:
    Api(CertStore& store, ApiConfig config, const base::Clock& clock, LogSink* log);
    ~Api();
    Api(const Api&) = delete;
    Api& operator=(const Api&) = delete;

    [[nodiscard]] Response handle(const Request& request);

    [[nodiscard]] const Metrics& metrics() const;
    [[nodiscard]] const ApiConfig& config() const;

    class Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::keydir
