#include "mail/AccountCheck.h"

#include "mail/Curl.h"

namespace sealpost::mail {

namespace {

std::size_t discard(char* /*ptr*/, std::size_t size, std::size_t count, void* /*userdata*/) {
    return size * count;
}

int checkCancel(void* clientp, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t /*ulnow*/) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(clientp);
    return cancel != nullptr && cancel->load() ? 1 : 0;
}

} // namespace

LoginCheck checkLogin(const ServerSettings& server, Protocol protocol, const std::atomic<bool>* cancel) {
    LoginCheck out;
    detail::CurlHandle handle;
    if (auto configured = handle.configure(server, protocol == Protocol::Imap ? "imap" : "smtp"); !configured) {
        out.error = configured.error();
        return out;
    }
    CURL* c = handle.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, handle.baseUrl().c_str()) == CURLE_OK;
    // NOOP as a custom command: IMAP logs in first; SMTP authenticates and sends no MAIL FROM.
    ok = ok && curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP") == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, checkCancel) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_XFERINFODATA, cancel) == CURLE_OK;
    if (!ok) {
        out.error = base::Error{base::ErrorCode::Unsupported, "libcurl lacks a needed option"};
        return out;
    }
    auto performed = handle.perform("login");
    out.certificateSha256 = handle.tls().leafSha256;
    if (!performed) {
        out.error = performed.error();
        if (cancel != nullptr && cancel->load()) {
            out.error = base::Error{base::ErrorCode::Cancelled, "cancelled"};
        }
    }
    return out;
}

} // namespace sealpost::mail
