#pragma once
// Internal to server/keydir: the parts of Api shared by its lookup (Api.cpp) and submission
// (ApiSubmit.cpp) halves.

#include "keydir/Api.h"
#include "keydir/ResponseCache.h"
#include "keydir/store/CertStore.h"

#include <nlohmann/json.hpp>

namespace sealpost::keydir {

using Json = nlohmann::ordered_json;

// What one request did, for the response, the metrics and the access log.
struct Handled {
    Response response;
    Endpoint endpoint = Endpoint::Other;
    std::string_view logPath; // the path as logged without --log-addresses
};

[[nodiscard]] std::shared_ptr<const Answer> errorAnswer(int status, std::string_view code, std::string_view detail);
[[nodiscard]] Response respond(std::shared_ptr<const Answer> answer);
[[nodiscard]] Response errorResponse(int status, std::string_view code, std::string_view detail);
[[nodiscard]] Response rateLimited(int retryAfter);
[[nodiscard]] std::string derToPem(const base::Bytes& der);
[[nodiscard]] Json certificatesJson(const std::vector<StoredCert>& certs);

struct LookupTarget {
    std::string_view rest; // the address (percent-encoded) or the hash
    bool canEncrypt = false;
    bool byHash = false;
};

class Api::Impl {
public:
    Impl(CertStore& store, ApiConfig config, const base::Clock& clock, LogSink* log);

    [[nodiscard]] Handled dispatch(const Request& request, std::string_view client, base::TimePoint now);

    // Lookups (Api.cpp).
    [[nodiscard]] Handled lookup(const Request& request, const LookupTarget& target, base::TimePoint now);
    [[nodiscard]] Response batchLookup(const Request& request, std::string_view client, base::TimePoint now);
    [[nodiscard]] std::shared_ptr<const Answer> buildLookup(const std::string& hash, Representation rep,
                                                            base::TimePoint now, Response& failure);
    // Submissions (ApiSubmit.cpp).
    [[nodiscard]] Response submit(const Request& request, std::string_view client, base::TimePoint now);

    // 0, or the Retry-After of the first bucket that is empty.
    [[nodiscard]] int takeAddressTokens(std::span<const std::string> hashes, base::TimePoint now);
    // Checks shared by the POST endpoints: 405, 411, 413. nullopt when the request may go on.
    [[nodiscard]] std::optional<Response> checkPost(const Request& request, const char* endpoint) const;

    CertStore& store;
    ApiConfig config;
    const base::Clock& clock;
    LogSink* log;
    RateLimiter clientLimiter;
    RateLimiter addressLimiter;
    ResponseCache cache;
    Metrics metrics;
};

} // namespace sealpost::keydir
