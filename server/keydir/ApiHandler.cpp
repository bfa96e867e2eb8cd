#include "keydir/ApiHandler.h"

namespace sealpost::keydir {

Request toApiRequest(const http::Request& request) noexcept {
    Request out;
    out.method = request.method;
    out.target = request.target;
    out.peerAddress = request.peerAddress;
    out.accept = request.header("Accept");
    out.contentType = request.header("Content-Type");
    out.ifNoneMatch = request.header("If-None-Match");
    out.authorization = request.header("Authorization");
    out.forwardedFor = request.header("X-Forwarded-For");
    out.hasContentLength = request.hasContentLength;
    out.bodyTooLarge = request.bodyTooLarge;
    out.body = request.body;
    return out;
}

http::Response toHttpResponse(Response response) {
    http::Response out;
    out.status = response.status;
    out.sendBody = response.sendBody;
    out.closeConnection = response.closeConnection;
    if (!response.answer) {
        return out;
    }
    const Answer& a = *response.answer;
    out.headers.reserve(5); // one allocation for every field an Answer can have
    if (response.status != 304) {
        out.headers.push_back({"Content-Type", std::string(a.contentType)});
    }
    if (!a.cacheControl.empty()) {
        out.headers.push_back({"Cache-Control", a.cacheControl});
    }
    if (!a.etag.empty()) {
        out.headers.push_back({"ETag", a.etag});
    }
    if (!a.allow.empty()) {
        out.headers.push_back({"Allow", a.allow});
    }
    if (a.retryAfter > 0) {
        out.headers.push_back({"Retry-After", std::to_string(a.retryAfter)});
    }
    // Shares ownership of the (possibly cached) Answer and points at its body.
    out.body = std::shared_ptr<const std::string>(std::move(response.answer), &a.body);
    return out;
}

http::Response ApiHandler::handle(const http::Request& request) {
    return toHttpResponse(m_api.handle(toApiRequest(request)));
}

} // namespace sealpost::keydir
