#include "mail/DiscoveryTransport.h"

#include "mail/AutoconfigXml.h"
#include "mail/Curl.h"

#include <memory>

namespace sealpost::mail::detail {

using base::ErrorCode;

namespace {

struct Body {
    std::string data;
    bool tooLarge = false;
};

std::size_t collect(char* ptr, std::size_t size, std::size_t count, void* userdata) {
    auto* body = static_cast<Body*>(userdata);
    const std::size_t n = size * count;
    if (body->data.size() + n > kMaxAutoconfigSize) {
        body->tooLarge = true;
        return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    body->data.append(ptr, n);
    return n;
}

std::size_t discard(char* /*ptr*/, std::size_t size, std::size_t count, void* /*userdata*/) {
    return size * count;
}

int checkCancel(void* clientp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(clientp);
    return cancel != nullptr && cancel->load() ? 1 : 0;
}

base::Result<CurlSlist> connectToList(const std::vector<std::string>& entries) {
    CurlSlist list;
    for (const auto& e : entries) {
        curl_slist* next = curl_slist_append(list.get(), e.c_str());
        if (next == nullptr) {
            return base::makeError(ErrorCode::Io, "out of memory");
        }
        static_cast<void>(list.release());
        list.reset(next);
    }
    return list;
}

struct UrlDeleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};

// The scheme and host of `url`, lower-cased by libcurl; nullopt when it does not parse.
std::optional<std::pair<std::string, std::string>> schemeAndHost(const std::string& url) {
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return std::nullopt;
    }
    char* scheme = nullptr;
    char* host = nullptr;
    std::optional<std::pair<std::string, std::string>> out;
    if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        std::string h = host;
        if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
            h = h.substr(1, h.size() - 2);
        }
        out = std::make_pair(std::string(scheme), h);
    }
    curl_free(scheme);
    curl_free(host);
    return out;
}

} // namespace

base::Result<std::string> fetchHttps(const std::string& url, const FetchOptions& options) {
    const auto parts = schemeAndHost(url);
    if (!parts) {
        return base::makeError(ErrorCode::InvalidArgument, "not a URL: " + url);
    }
    const bool http = parts->first == "http";
    if (!(parts->first == "https" || (http && options.allowHttpForLoopback && isLoopbackHost(parts->second)))) {
        return base::makeError(ErrorCode::InvalidArgument, "refusing " + url + ": only https is used");
    }
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    auto connectTo = connectToList(options.connectTo);
    if (!curl || !connectTo) {
        return base::makeError(ErrorCode::Io, "libcurl: cannot create a handle");
    }
    Body body;
    std::string errorBuffer(CURL_ERROR_SIZE, '\0');
    CURL* c = curl.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, http ? "http" : "https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, http ? 0L : 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer.data()) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connectTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options.timeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxAutoconfigSize)) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, &body) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, checkCancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFODATA, options.cancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, addCaFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &options.caFile) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_CONNECT_TO, connectTo->get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, "Sealpost autoconfig") == CURLE_OK;
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option");
    }
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    static_cast<void>(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status));
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        return base::makeError(ErrorCode::Cancelled, "cancelled");
    }
    if (body.tooLarge || rc == CURLE_FILESIZE_EXCEEDED) {
        return base::makeError(ErrorCode::LimitExceeded, url + ": response larger than 1 MiB");
    }
    if (rc != CURLE_OK) {
        return curlFailure(rc, "GET " + url, errorBuffer.c_str(), 0, TlsObservation{});
    }
    if (status == 404 || status == 410) {
        return base::makeError(ErrorCode::NotFound, url + ": HTTP " + std::to_string(status));
    }
    if (status != 200) {
        return base::makeError(status >= 500 ? ErrorCode::TemporaryFailure : ErrorCode::PermanentFailure,
                               url + ": HTTP " + std::to_string(status));
    }
    return std::move(body.data);
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
    auto list = connectToList(connectTo);
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
