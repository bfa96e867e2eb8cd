#include "directory/HttpTransport.h"

#include "mail/Curl.h"
#include "mail/ServerSettings.h"

#include <curl/curl.h>
#include <memory>

namespace sealpost::directory::detail {

using base::ErrorCode;

namespace {

struct Body {
    std::string data;
    std::size_t limit = 0;
    bool tooLarge = false;
};

std::size_t collect(char* ptr, std::size_t size, std::size_t count, void* userdata) {
    auto* body = static_cast<Body*>(userdata);
    const std::size_t n = size * count;
    if (body->data.size() + n > body->limit) {
        body->tooLarge = true;
        return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    body->data.append(ptr, n);
    return n;
}

int checkCancel(void* clientp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
    const auto* cancelled = static_cast<const std::function<bool()>*>(clientp);
    return *cancelled && (*cancelled)() ? 1 : 0;
}

struct UrlDeleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

// https, or http to a loopback host; InvalidArgument otherwise.
base::Result<bool> checkScheme(const std::string& url) {
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return base::makeError(ErrorCode::InvalidArgument, "not a URL: " + url);
    }
    char* scheme = nullptr;
    char* host = nullptr;
    std::string s;
    std::string h;
    if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        s = scheme;
        h = host;
    }
    curl_free(scheme);
    curl_free(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
        h = h.substr(1, h.size() - 2);
    }
    if (s == "https") {
        return false;
    }
    if (s == "http" && mail::isLoopbackHost(h)) {
        return true;
    }
    return base::makeError(ErrorCode::InvalidArgument, "refusing " + url + ": the directory is reached over https");
}

} // namespace

base::Result<HttpResponse> perform(const HttpRequest& request, const ClientOptions& options) {
    auto http = checkScheme(request.url);
    if (!http) {
        return http.error();
    }
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    mail::detail::CurlSlist headers;
    for (const auto& h : request.headers) {
        curl_slist* next = curl_slist_append(headers.get(), h.c_str());
        if (next == nullptr) {
            return base::makeError(ErrorCode::Io, "out of memory");
        }
        static_cast<void>(headers.release());
        headers.reset(next);
    }
    if (!curl) {
        return base::makeError(ErrorCode::Io, "libcurl: cannot create a handle");
    }
    Body body{.data = {}, .limit = options.maxResponseBytes, .tooLarge = false};
    std::string errorBuffer(CURL_ERROR_SIZE, '\0');
    const std::string caFile = options.caFile;
    CURL* c = curl.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, *http ? "http" : "https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer.data()) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connectTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options.totalTimeout.count())) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.maxResponseBytes)) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, &body) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, checkCancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFODATA, &options.cancelled) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, mail::detail::addCaFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &caFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, "Sealpost directory client") == CURLE_OK;
    if (request.method == "POST") {
        ok = ok && curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data()) == CURLE_OK;
        ok = ok &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())) == CURLE_OK;
    }
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option");
    }
    const CURLcode rc = curl_easy_perform(c);
    HttpResponse response;
    static_cast<void>(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status));
    const std::string what = request.method + " " + request.url;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        return base::makeError(ErrorCode::Cancelled, what + ": cancelled");
    }
    if (body.tooLarge || rc == CURLE_FILESIZE_EXCEEDED) {
        return base::makeError(ErrorCode::ProtocolError,
                               what + ": answer larger than " + std::to_string(options.maxResponseBytes) + " bytes");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        // Connected, but the answer did not come in time: the server is there, retry later.
        curl_off_t connectTime = 0;
        if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connectTime) == CURLE_OK && connectTime > 0) {
            return base::makeError(ErrorCode::TemporaryFailure, what + ": " + errorBuffer.c_str());
        }
    }
    if (rc != CURLE_OK) {
        return mail::detail::curlFailure(rc, what, errorBuffer.c_str(), 0, mail::detail::TlsObservation{});
    }
    char* contentType = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &contentType) == CURLE_OK && contentType != nullptr) {
        response.contentType = contentType;
    }
    curl_off_t retryAfter = 0;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retryAfter) == CURLE_OK && retryAfter > 0) {
        response.retryAfter = std::chrono::seconds(retryAfter);
    }
    response.body = std::move(body.data);
    return response;
}

} // namespace sealpost::directory::detail
