// The request layer of AcmeClient: nonces, JWS signing, badNonce and Retry-After retries, and
// turning refusals into AcmeErrors. The operations are in AcmeClient.cpp.

#include "acme/AcmeClient.h"
#include "acme/AcmeJson.h"
#include "acme/HttpHeaders.h"
#include "crypto/Jose.h"
#include "crypto/PublicKey.h"

#include <nlohmann/json.hpp>

namespace sealpost::acme {

using base::ErrorCode;
using nlohmann::json;

namespace {

constexpr std::string_view joseContentType = "application/jose+json";

AcmeError plainError(ErrorCode code, std::string detail) {
    return AcmeError{base::Error{code, std::move(detail)}, std::nullopt, 0, std::nullopt};
}

// The code a caller branches on for a server's refusal.
ErrorCode codeForRefusal(int status, const std::optional<AcmeProblem>& problem) {
    if (problem) {
        const std::string_view type = problem->acmeType();
        if (type == "badNonce" || type == "rateLimited" || type == "serverInternal") {
            return ErrorCode::TemporaryFailure;
        }
        if (type == "unauthorized") {
            return ErrorCode::AuthFailed;
        }
        if (type == "accountDoesNotExist") {
            return ErrorCode::NotFound;
        }
    }
    if (status >= 500 || status == 429 || status == 408) {
        return ErrorCode::TemporaryFailure;
    }
    if (status == 404) {
        return ErrorCode::NotFound;
    }
    if (status >= 400) {
        return ErrorCode::PermanentFailure;
    }
    return ErrorCode::ProtocolError;
}

// Adds where the answer came from to a parse error's detail.

} // namespace

bool AcmeClient::wait(std::chrono::milliseconds duration) {
    return !m_config.stop.stop_requested() && m_config.sleeper->sleepFor(duration, m_config.stop);
}

std::optional<std::chrono::seconds> AcmeClient::retryAfterOf(const HttpResponse& response) const {
    const auto value = response.header("Retry-After");
    if (!value) {
        return std::nullopt;
    }
    return parseRetryAfter(*value, m_config.clock->now());
}

AcmeError AcmeClient::errorFromResponse(const HttpResponse& response, std::string_view what) const {
    std::optional<AcmeProblem> problem;
    const auto contentType = response.header("Content-Type");
    const bool problemType = contentType && contentType->find("problem+json") != std::string::npos;
    auto parsed = detail::parseProblem(response.body, response.status);
    // A JSON body without the problem media type counts only when it looks like one.
    if (parsed && (problemType || parsed->type != "about:blank" || !parsed->detail.empty())) {
        problem = std::move(parsed);
    }
    std::string detail = std::string(what) + ": HTTP " + std::to_string(response.status);
    if (problem) {
        detail += " " + detail::describeProblem(*problem);
    }
    const ErrorCode code = response.status < 400 ? ErrorCode::ProtocolError : codeForRefusal(response.status, problem);
    return AcmeError{base::Error{code, std::move(detail)}, std::move(problem), response.status, retryAfterOf(response)};
}

AcmeResult<HttpResponse> AcmeClient::send(const HttpRequest& request) {
    if (m_config.transport == nullptr || m_config.clock == nullptr || m_config.sleeper == nullptr) {
        return plainError(ErrorCode::InvalidArgument, "AcmeClient needs a transport, a clock and a sleeper");
    }
    if (m_config.stop.stop_requested()) {
        return plainError(ErrorCode::Cancelled, request.url + ": cancelled");
    }
    auto response = m_config.transport->send(request, m_config.stop);
    if (!response) {
        return response.error();
    }
    rememberNonce(*response);
    return std::move(*response);
}

void AcmeClient::report(const AcmeProgress& progress) const {
    if (m_config.onProgress) {
        m_config.onProgress(progress);
    }
}

AcmeResult<bool> AcmeClient::waitToRetry(const HttpResponse& response, const std::string& url, int& retries) {
    constexpr int maxRetries = 2;
    if ((response.status != 429 && response.status != 503) || retries >= maxRetries) {
        return false;
    }
    const auto delay = retryAfterOf(response);
    if (!delay || *delay > m_config.maxRetryAfterWait) {
        return false;
    }
    ++retries;
    report(AcmeProgress{AcmeProgress::Kind::WaitingToRetry, url, retries, {}, *delay});
    if (!wait(*delay)) {
        return AcmeError{base::Error{ErrorCode::Cancelled, url + ": cancelled while waiting to retry"}, std::nullopt, 0,
                         std::nullopt};
    }
    return true;
}

AcmeResult<HttpResponse> AcmeClient::get(const std::string& url) {
    int retries = 0;
    while (true) {
        auto response = send(HttpRequest{HttpMethod::Get, url, {{"Accept", "application/json"}}, {}});
        if (!response) {
            return response;
        }
        auto retry = waitToRetry(*response, url, retries);
        if (!retry) {
            return retry.error();
        }
        if (!*retry) {
            return response;
        }
    }
}

void AcmeClient::rememberNonce(const HttpResponse& response) {
    if (auto nonce = response.header("Replay-Nonce"); nonce && !nonce->empty()) {
        m_nonce = std::move(*nonce);
    }
}

AcmeResult<std::string> AcmeClient::takeNonce() {
    if (!m_nonce.empty()) {
        return std::exchange(m_nonce, {});
    }
    auto dir = directory();
    if (!dir) {
        return dir.error();
    }
    auto response = send(HttpRequest{HttpMethod::Head, dir->newNonce, {}, {}});
    if (!response) {
        return response.error();
    }
    if (response->status != 200 && response->status != 204) {
        return errorFromResponse(*response, "HEAD " + dir->newNonce);
    }
    if (m_nonce.empty()) {
        return plainError(ErrorCode::ProtocolError, "HEAD " + dir->newNonce + ": no Replay-Nonce in the answer");
    }
    return std::exchange(m_nonce, {});
}

AcmeResult<HttpResponse> AcmeClient::post(const std::string& url, const std::optional<std::string>& payload,
                                          const crypto::PrivateKey& key, KeyIdMode mode, std::string_view accept) {
    const crypto::PublicKey publicKey = crypto::PublicKey::of(key);
    auto algorithm = crypto::jwsAlgorithmFor(publicKey);
    if (!algorithm) {
        return algorithm.error();
    }
    json header = {{"alg", std::string(crypto::jwsAlgorithmName(*algorithm))}, {"url", url}};
    if (mode == KeyIdMode::Jwk) {
        auto jwk = crypto::jwkJson(publicKey);
        if (!jwk) {
            return jwk.error();
        }
        header["jwk"] = json::parse(*jwk);
    } else {
        header["kid"] = m_accountUrl;
    }
    const base::ByteView payloadBytes = payload ? base::asBytes(*payload) : base::ByteView{};
    int badNonces = 0;
    int retryWaits = 0;
    while (true) {
        auto nonce = takeNonce();
        if (!nonce) {
            return nonce.error();
        }
        header["nonce"] = *nonce;
        auto jws = crypto::signJws(key, header.dump(), payloadBytes);
        if (!jws) {
            return jws.error();
        }
        HttpRequest request{HttpMethod::Post, url, {{"Content-Type", std::string(joseContentType)}}, std::move(*jws)};
        if (!accept.empty()) {
            request.headers.emplace_back("Accept", std::string(accept));
        }
        auto response = send(request);
        if (!response) {
            return response.error();
        }
        if (response->status < 400) {
            return response;
        }
        AcmeError error = errorFromResponse(*response, "POST " + url);
        if (error.isProblem("badNonce") && badNonces < m_config.maxBadNonceRetries) {
            ++badNonces; // the refusal carried a fresh nonce (or the next round asks newNonce)
            report(AcmeProgress{AcmeProgress::Kind::BadNonceRetry, url, badNonces, {}, std::chrono::milliseconds(0)});
            continue;
        }
        auto retry = waitToRetry(*response, url, retryWaits);
        if (!retry) {
            return retry.error();
        }
        if (*retry) {
            continue;
        }
        if (error.isProblem("badNonce")) {
            error.error.detail += " (after " + std::to_string(badNonces) + " retries with fresh nonces)";
        }
        return error;
    }
}

AcmeResult<void> AcmeClient::requireAccount() const {
    if (m_accountUrl.empty()) {
        return plainError(ErrorCode::InvalidArgument, "no ACME account: call newAccount or setAccountUrl first");
    }
    return {};
}

AcmeResult<HttpResponse> AcmeClient::postAsAccount(const std::string& url, const std::optional<std::string>& payload,
                                                   std::string_view accept) {
    if (auto ok = requireAccount(); !ok) {
        return ok.error();
    }
    return post(url, payload, m_key, KeyIdMode::Kid, accept);
}

} // namespace sealpost::acme
