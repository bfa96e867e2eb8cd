#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sealpost::keydir {

// A complete answer, immutable once built so that cached lookups are shared between requests
// (and threads) without copying.
struct Answer {
    int status = 200;
    std::string_view contentType; // one of the constants below
    std::string cacheControl;     // empty: no Cache-Control header
    std::string etag;             // with its quotes; empty: no ETag header
    std::string allow;            // for 405
    int retryAfter = 0;           // seconds, for 429; 0: no Retry-After header
    std::string body;
};

inline constexpr std::string_view jsonType = "application/json";
inline constexpr std::string_view certsOnlyType = "application/pkcs7-mime; smime-type=certs-only; name=certs.p7c";
inline constexpr std::string_view metricsType = "text/plain; version=0.0.4; charset=utf-8";

// What goes on the wire: usually the answer as it is; HEAD and 304 send its headers only.
struct Response {
    int status = 200;
    std::shared_ptr<const Answer> answer;
    bool sendBody = true;
    bool closeConnection = false; // the request body was not read (411, 413)
};

} // namespace sealpost::keydir
