#include "acme/HttpTransport.h"
#include "mail/Curl.h"
#include "mail/ServerSettings.h"

#include <array>
#include <curl/curl.h>
#include <memory>

#ifndef SEALPOST_VERSION
#define SEALPOST_VERSION "0"
#endif

namespace sealpost::acme {

using base::ErrorCode;

namespace {

struct Exchange {
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t limit = 0;
    std::size_t headerBytes = 0;
    bool tooLarge = false;
    std::stop_token stop;
};

std::size_t collectBody(char* ptr, std::size_t size, std::size_t count, void* userdata) {
    auto* exchange = static_cast<Exchange*>(userdata);
    const std::size_t n = size * count;
    if (exchange->body.size() + n > exchange->limit) {
        exchange->tooLarge = true;
        return 0; // libcurl stops with CURLE_WRITE_ERROR
    }
    exchange->body.append(ptr, n);
    return n;
}

std::string_view trimLine(std::string_view s) noexcept {
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
    if (exchange->headerBytes > exchange->limit) {
        exchange->tooLarge = true;
        return 0;
    }
    const std::string_view line(ptr, n);
    if (line.starts_with("HTTP/")) {
        // A new status line (after 100 Continue): only the final response's fields count.
        exchange->headers.clear();
        return n;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return n;
    }
    exchange->headers.emplace_back(std::string(trimLine(line.substr(0, colon))),
                                   std::string(trimLine(line.substr(colon + 1))));
    return n;
}

int checkCancel(void* clientp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
    const auto* exchange = static_cast<const Exchange*>(clientp);
    return exchange->stop.stop_requested() ? 1 : 0;
}

struct UrlDeleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

// "https", or "http" for a loopback host; InvalidArgument otherwise.
base::Result<std::string> allowedProtocol(const std::string& url) {
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
    if (s == "https" || (s == "http" && mail::isLoopbackHost(h))) {
        return s;
    }
    return base::makeError(ErrorCode::InvalidArgument, "refusing " + url + ": ACME servers are reached over https");
}

class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(CurlTransportOptions options) : m_options(std::move(options)) {
        if (m_options.userAgent.empty()) {
            m_options.userAgent = std::string("Sealpost/") + SEALPOST_VERSION;
        }
    }

    base::Result<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override;

private:
    CurlTransportOptions m_options;
    // One handle for every request: libcurl keeps its connections (and TLS sessions) between
    // them, so an enrollment's dozen requests share one handshake. Reset before each request.
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> m_curl{nullptr, &curl_easy_cleanup};
};

base::Result<HttpResponse> CurlTransport::send(const HttpRequest& request, std::stop_token stop) {
    if (stop.stop_requested()) {
        return base::makeError(ErrorCode::Cancelled, request.url + ": cancelled");
    }
    auto protocol = allowedProtocol(request.url);
    if (!protocol) {
        return protocol.error();
    }
    if (!m_curl) {
        m_curl.reset(curl_easy_init());
        if (!m_curl) {
            return base::makeError(ErrorCode::Io, "libcurl: cannot create a handle");
        }
    } else {
        curl_easy_reset(m_curl.get()); // options only: open connections stay for reuse
    }
    mail::detail::CurlSlist headers;
    for (const auto& [name, value] : request.headers) {
        std::string line = name;
        line.append(": ").append(value);
        curl_slist* next = curl_slist_append(headers.get(), line.c_str());
        if (next == nullptr) {
            return base::makeError(ErrorCode::Io, "out of memory");
        }
        static_cast<void>(headers.release());
        headers.reset(next);
    }
    Exchange exchange;
    exchange.limit = m_options.maxResponseBytes;
    exchange.stop = stop;
    std::string errorBuffer(CURL_ERROR_SIZE, '\0');
    const std::string caFile = m_options.caFile;
    CURL* c = m_curl.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocol->c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer.data()) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(m_options.connectTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(m_options.totalTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(m_options.maxResponseBytes)) ==
                   CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collectBody) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, &exchange) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collectHeader) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HEADERDATA, &exchange) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, checkCancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFODATA, &exchange) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, mail::detail::addCaFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &caFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, m_options.userAgent.c_str()) == CURLE_OK;
    switch (request.method) {
    case HttpMethod::Get: break;
    case HttpMethod::Head: ok = ok && curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK; break;
    case HttpMethod::Post:
        ok = ok && curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data()) == CURLE_OK;
        ok = ok &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())) == CURLE_OK;
        break;
    }
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option");
    }
    const CURLcode rc = curl_easy_perform(c);
    static constexpr std::array<std::string_view, 3> methodNames = {"GET", "HEAD", "POST"};
    const std::string what = std::string(methodNames.at(static_cast<std::size_t>(request.method))) + " " + request.url;
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        return base::makeError(ErrorCode::Cancelled, what + ": cancelled");
    }
    if (exchange.tooLarge || rc == CURLE_FILESIZE_EXCEEDED) {
        return base::makeError(ErrorCode::ProtocolError,
                               what + ": answer larger than " + std::to_string(m_options.maxResponseBytes) + " bytes");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connectTime = 0;
        if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connectTime) == CURLE_OK && connectTime > 0) {
            return base::makeError(ErrorCode::TemporaryFailure, what + ": " + errorBuffer.c_str());
        }
    }
    if (rc != CURLE_OK) {
        return mail::detail::curlFailure(rc, what, errorBuffer.c_str(), 0, mail::detail::TlsObservation{});
    }
    long status = 0;
    static_cast<void>(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status));
    HttpResponse response;
    response.status = static_cast<int>(status);
    response.headers = std::move(exchange.headers);
    response.body = std::move(exchange.body);
    return response;
}

} // namespace

std::unique_ptr<HttpTransport> makeCurlTransport(CurlTransportOptions options) {
    return std::make_unique<CurlTransport>(std::move(options));
}

} // namespace sealpost::acme
