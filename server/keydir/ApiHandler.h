#pragma once

#include "http/Handler.h"
#include "keydir/Api.h"

namespace sealpost::keydir {

// The directory API behind the generic HTTP server (server/http).
class ApiHandler final : public http::Handler {
public:
    explicit ApiHandler(Api& api) : m_api(api) {}
    [[nodiscard]] http::Response handle(const http::Request& request) override;

private:
    Api& m_api;
};

// The two mappings, on their own for tests. The request's views stay borrowed from `request`.
[[nodiscard]] Request toApiRequest(const http::Request& request) noexcept;
// Content-Type (not for 304), Cache-Control, ETag, Allow and Retry-After from the Answer; the
// body shares the Answer (no copy).
[[nodiscard]] http::Response toHttpResponse(Response response);

} // namespace sealpost::keydir
