#include "mail/DiscoveryTransport.h"

#include "mail/AutoconfigXml.h"
#include "mail/Curl.h"
#include "mail/Http.h"

#include <memory>

namespace sealpost::mail::detail {

using base::ErrorCode;

namespace {

std::size_t discard(char* /*ptr*/, std::size_t size, std::size_t count, void* /*userdata*/) {
    return size * count;
}

} // namespace

base::Result<std::string> fetchHttps(const std::string& url, const FetchOptions& options) {
    HttpCall call;
    call.url = url;
    call.allowLoopbackHttp = options.allowHttpForLoopback;
    call.followRedirects = true;
    call.connectTo = options.connectTo;
    call.caFile = options.caFile;
    call.connectTimeout = options.connectTimeout;
    call.totalTimeout = options.timeout;
    call.maxResponseBytes = kMaxAutoconfigSize;
    call.tooLargeCode = ErrorCode::LimitExceeded;
    call.userAgent = "Sealpost autoconfig";
    if (options.cancel != nullptr) {
        call.cancelled = [cancel = options.cancel] { return cancel->load(); };
    }
    auto answer = httpPerform(call);
    if (!answer) {
        return answer.error();
    }
    if (answer->status == 404 || answer->status == 410) {
        return base::makeError(ErrorCode::NotFound, url + ": HTTP " + std::to_string(answer->status));
    }
    if (answer->status != 200) {
        return base::makeError(answer->status >= 500 ? ErrorCode::TemporaryFailure : ErrorCode::PermanentFailure,
                               url + ": HTTP " + std::to_string(answer->status));
    }
    return std::move(answer->body);
}

base::Result<void> probeServer(const ServerSettings& server, std::string_view scheme,
                               const std::vector<std::string>& connectTo) {
    // No user name: libcurl then skips the login and only runs NOOP after the greeting (and STARTTLS).
    ServerSettings anonymous = server;
    anonymous.username.clear();
    anonymous.secret.clear();
    CurlHandle handle;
    if (auto configured = handle.configure(anonymous, scheme); !configured) {
        return configured.error();
    }
    auto list = makeSlist(connectTo);
    if (!list) {
        return list.error();
    }
    CURL* c = handle.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, handle.baseUrl().c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECT_TO, list->get()) == CURLE_OK;
    // Nothing may be slow here: a guess that does not answer within the connect timeout is wrong.
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(server.connectTimeout.count() * 2)) == CURLE_OK;
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option");
    }
    return handle.perform("connect");
}

} // namespace sealpost::mail::detail
