#include "acme/HttpTransport.h"
#include "mail/Http.h"

#include <array>
#include <memory>

#ifndef SEALPOST_VERSION
#define SEALPOST_VERSION "0"
#endif

namespace sealpost::acme {

namespace {

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
    // One session for every request: an enrollment's dozen requests share one connection and TLS
    // handshake.
    mail::detail::HttpSession m_session;
};

base::Result<HttpResponse> CurlTransport::send(const HttpRequest& request, std::stop_token stop) {
    static constexpr std::array<std::string_view, 3> methodNames = {"GET", "HEAD", "POST"};
    mail::detail::HttpCall call;
    call.method = methodNames.at(static_cast<std::size_t>(request.method));
    call.url = request.url;
    for (const auto& [name, value] : request.headers) {
        std::string line = name;
        line.append(": ").append(value);
        call.headers.push_back(std::move(line));
    }
    call.body = request.body;
    call.refusal = "ACME servers are reached over https";
    call.caFile = m_options.caFile;
    call.connectTimeout = m_options.connectTimeout;
    call.totalTimeout = m_options.totalTimeout;
    call.maxResponseBytes = m_options.maxResponseBytes;
    call.userAgent = m_options.userAgent;
    call.collectHeaders = true;
    call.cancelled = [&stop] { return stop.stop_requested(); };
    auto answer = m_session.perform(call);
    if (!answer) {
        return answer.error();
    }
    HttpResponse response;
    response.status = static_cast<int>(answer->status);
    response.headers = std::move(answer->headers);
    response.body = std::move(answer->body);
    return response;
}

} // namespace

std::unique_ptr<HttpTransport> makeCurlTransport(CurlTransportOptions options) {
    return std::make_unique<CurlTransport>(std::move(options));
}

} // namespace sealpost::acme
