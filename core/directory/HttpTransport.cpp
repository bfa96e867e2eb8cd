#include "directory/HttpTransport.h"

#include "mail/Http.h"

namespace sealpost::directory::detail {

base::Result<HttpResponse> perform(const HttpRequest& request, const ClientOptions& options) {
    mail::detail::HttpCall call;
    call.method = request.method;
    call.url = request.url;
    call.headers = request.headers;
    call.body = request.body;
    call.refusal = "the directory is reached over https";
    call.caFile = options.caFile;
    call.connectTimeout = options.connectTimeout;
    call.totalTimeout = options.totalTimeout;
    call.maxResponseBytes = options.maxResponseBytes;
    call.userAgent = "Sealpost directory client";
    call.cancelled = options.cancelled;
    auto answer = mail::detail::httpPerform(call);
    if (!answer) {
        return answer.error();
    }
    HttpResponse response;
    response.status = answer->status;
    response.contentType = std::move(answer->contentType);
    response.retryAfter = answer->retryAfter;
    response.body = std::move(answer->body);
    return response;
}

} // namespace sealpost::directory::detail
