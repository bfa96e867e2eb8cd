#include "mail/Http.h"

#include "mail/Curl.h"
#include "mail/ServerSettings.h"

#include <curl/curl.h>

namespace sealpost::mail::detail {

using base::ErrorCode;

namespace {

struct Exchange {
    const HttpCall* call = nullptr;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t headerBytes = 0;
    bool tooLarge = false;
};

std::size_t collectBody(char* ptr, std::size_t size, std::size_t count, void* userdata) {
    auto* exchange = static_cast<Exchange*>(userdata);
    const std::size_t n = size * count;
    if (exchange->body.size() + n > exchange->call->maxResponseBytes) {
        exchange->tooLarge = true;
        return 0; // libcurl stops with CURLE_WRITE_ERROR
    }
    exchange->body.append(ptr, n);
    return n;
}

std::string_view trimmed(std::string_view s) noexcept {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    return s;
}

std::size_t collectHeader(char* ptr, std::size_t size, std::size_t count, void* userdata) {
    auto* exchange = static_cast<Exchange*>(userdata);
    const std::size_t n = size * count;
    exchange->headerBytes += n;
    if (exchange->headerBytes > exchange->call->maxResponseBytes) {
        exchange->tooLarge = true;
        return 0;
    }
    const std::string_view line(ptr, n);
    if (line.starts_with("HTTP/")) {
        // A new status line (after 100 Continue or a redirect): only the final response's fields count.
        exchange->headers.clear();
        return n;
    }
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon != 0) {
        exchange->headers.emplace_back(std::string(trimmed(line.substr(0, colon))),
                                       std::string(trimmed(line.substr(colon + 1))));
    }
    return n;
}

int checkCancel(void* clientp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
    const auto* call = static_cast<const HttpCall*>(clientp);
    return call->cancelled && call->cancelled() ? 1 : 0;
}

struct UrlDeleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

// "https", or "http" to a loopback host when the call allows it; InvalidArgument otherwise.
base::Result<std::string> allowedScheme(const HttpCall& call) {
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, call.url.c_str(), 0) != CURLUE_OK) {
        return base::makeError(ErrorCode::InvalidArgument, "not a URL: " + call.url);
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
    if (s == "https" || (s == "http" && call.allowLoopbackHttp && isLoopbackHost(h))) {
        return s;
    }
    return base::makeError(ErrorCode::InvalidArgument, "refusing " + call.url + ": " + std::string(call.refusal));
}

} // namespace

struct HttpSessionState {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl{nullptr, &curl_easy_cleanup};
};

HttpSession::HttpSession() : m_state(std::make_unique<HttpSessionState>()) {}
HttpSession::~HttpSession() = default;
HttpSession::HttpSession(HttpSession&&) noexcept = default;
HttpSession& HttpSession::operator=(HttpSession&&) noexcept = default;

base::Result<HttpAnswer> HttpSession::perform(const HttpCall& call) {
    const std::string what = std::string(call.method) + " " + call.url;
    if (call.cancelled && call.cancelled()) {
        return base::makeError(ErrorCode::Cancelled, what + ": cancelled");
    }
    auto scheme = allowedScheme(call);
    if (!scheme) {
        return scheme.error();
    }
    auto headers = makeSlist(call.headers);
    auto connectTo = makeSlist(call.connectTo);
    if (!headers || !connectTo) {
        return base::makeError(ErrorCode::Io, "out of memory");
    }
    if (!m_state->curl) {
        m_state->curl.reset(curl_easy_init());
        if (!m_state->curl) {
            return base::makeError(ErrorCode::Io, "libcurl: cannot create a handle");
        }
    } else {
        curl_easy_reset(m_state->curl.get()); // options only: open connections stay for reuse
    }
    Exchange exchange;
    exchange.call = &call;
    std::string errorBuffer(CURL_ERROR_SIZE, '\0');
    const bool follow = call.followRedirects && *scheme == "https";
    CURL* c = m_state->curl.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, call.url.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, scheme->c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer.data()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(call.connectTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(call.totalTimeout.count())) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(call.maxResponseBytes)) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collectBody) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, &exchange) == CURLE_OK;
    if (call.collectHeaders) {
        ok = ok && curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collectHeader) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_HEADERDATA, &exchange) == CURLE_OK;
    }
    ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, checkCancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFODATA, &call) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, addCaFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &call.caFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers->get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECT_TO, connectTo->get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, call.userAgent.c_str()) == CURLE_OK;
    if (call.method == "HEAD") {
        ok = ok && curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK;
    } else if (call.method == "POST") {
        ok = ok && curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data()) == CURLE_OK;
        ok = ok &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size())) == CURLE_OK;
    } else if (call.method != "GET") {
        return base::makeError(ErrorCode::InvalidArgument, "unsupported HTTP method " + std::string(call.method));
    }
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option");
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        return base::makeError(ErrorCode::Cancelled, what + ": cancelled");
    }
    if (exchange.tooLarge || rc == CURLE_FILESIZE_EXCEEDED) {
        return base::makeError(call.tooLargeCode,
                               what + ": answer larger than " + std::to_string(call.maxResponseBytes) + " bytes");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        // Connected, but the answer did not come in time: the server is there, retry later.
        curl_off_t connectTime = 0;
        if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connectTime) == CURLE_OK && connectTime > 0) {
            return base::makeError(ErrorCode::TemporaryFailure, what + ": " + errorBuffer.c_str());
        }
    }
    if (rc != CURLE_OK) {
        return curlFailure(rc, what, errorBuffer.c_str(), 0, TlsObservation{});
    }
    HttpAnswer answer;
    static_cast<void>(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status));
    char* contentType = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &contentType) == CURLE_OK && contentType != nullptr) {
        answer.contentType = contentType;
    }
    curl_off_t retryAfter = 0;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retryAfter) == CURLE_OK && retryAfter > 0) {
        answer.retryAfter = std::chrono::seconds(retryAfter);
    }
    answer.headers = std::move(exchange.headers);
    answer.body = std::move(exchange.body);
    return answer;
}

base::Result<HttpAnswer> httpPerform(const HttpCall& call) {
    HttpSession session;
    return session.perform(call);
}

} // namespace sealpost::mail::detail
