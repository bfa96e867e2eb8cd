#include "directory/DirectoryClient.h"

#include "base/PercentEncode.h"
#include "directory/Address.h"
#include "directory/DirectoryJson.h"
#include "directory/HttpTransport.h"

#include <nlohmann/json.hpp>

namespace sealpost::directory {

using base::ErrorCode;

namespace {

std::string trimSlashes(std::string url) {
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

// What stays unencoded in a path segment or query value: RFC 3986's unreserved characters and
// '@', which both may hold as it is (pchar).
constexpr std::string_view kUrlSafe = "-._~@";

bool isJson(const detail::HttpResponse& r) {
    return r.contentType.rfind("application/json", 0) == 0;
}

// The error for an answer the caller did not expect, by status.
base::Error statusError(const detail::HttpResponse& r, std::string_view what) {
    std::string detail = std::string(what) + ": HTTP " + std::to_string(r.status);
    if (auto body = parseErrorBody(r.body)) {
        detail += " " + body->error + (body->detail.empty() ? "" : ": " + body->detail);
    }
    if (r.status == 429 || r.status >= 500) {
        return base::makeError(ErrorCode::TemporaryFailure, detail);
    }
    if (r.status >= 400) {
        return base::makeError(ErrorCode::PermanentFailure, detail);
    }
    return base::makeError(ErrorCode::ProtocolError, detail);
}

base::Error notJson(const detail::HttpResponse& r, std::string_view what) {
    return base::makeError(ErrorCode::ProtocolError, std::string(what) + ": HTTP " + std::to_string(r.status) +
                                                         " answered with \"" + r.contentType + "\", not JSON");
}

} // namespace

DirectoryClient::DirectoryClient(ClientOptions options) : m_options(std::move(options)) {
    m_options.baseUrl = trimSlashes(m_options.baseUrl);
}

base::Result<std::vector<AddressCertificates>> DirectoryClient::lookup(std::span<const std::string> addresses) {
    m_retryAfter.reset();
    std::vector<std::string> normalised;
    normalised.reserve(addresses.size());
    for (const auto& a : addresses) {
        auto n = normaliseAddress(a);
        if (!n) {
            return n.error();
        }
        normalised.push_back(std::move(*n));
    }
    std::vector<AddressCertificates> out;
    out.reserve(normalised.size());
    const std::string what = "POST /v1/lookup";
    for (std::size_t start = 0; start < normalised.size(); start += kBatchSize) {
        const std::span<const std::string> chunk =
            std::span<const std::string>(normalised).subspan(start, std::min(kBatchSize, normalised.size() - start));
        const nlohmann::json request = {{"addresses", std::vector<std::string>(chunk.begin(), chunk.end())}};
        auto response = detail::perform({.method = "POST",
                                         .url = m_options.baseUrl + "/v1/lookup",
                                         .headers = {"Content-Type: application/json", "Accept: application/json"},
                                         .body = request.dump()},
                                        m_options);
        if (!response) {
            return response.error();
        }
        m_retryAfter = response->retryAfter;
        if (response->status != 200) {
            return statusError(*response, what);
        }
        if (!isJson(*response)) {
            return notJson(*response, what);
        }
        auto results = parseLookupResponse(response->body, chunk);
        if (!results) {
            return results.error();
        }
        for (auto& r : *results) {
            out.push_back(std::move(r));
        }
    }
    return out;
}

base::Result<SubmissionResult> DirectoryClient::submit(std::span<const crypto::Certificate> chain,
                                                       std::string_view provenance) {
    m_retryAfter.reset();
    if (chain.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "no certificate to submit");
    }
    std::string pem;
    for (const auto& c : chain) {
        pem += c.pem();
    }
    const std::string what = "POST /v1/certs";
    std::vector<std::string> headers{"Content-Type: application/pem-certificate-chain", "Accept: application/json"};
    if (!m_options.bearerToken.empty()) {
        headers.push_back("Authorization: Bearer " + m_options.bearerToken);
    }
    auto response =
        detail::perform({.method = "POST",
                         .url = m_options.baseUrl + "/v1/certs?provenance=" + base::percentEncode(provenance, kUrlSafe),
                         .headers = std::move(headers),
                         .body = std::move(pem)},
                        m_options);
    if (!response) {
        return response.error();
    }
    m_retryAfter = response->retryAfter;
    if (response->status == 429 && !m_retryAfter) {
        if (auto body = parseErrorBody(response->body)) {
            m_retryAfter = body->retryAfter;
        }
    }
    if (response->status != 200 && response->status != 201 && response->status != 422) {
        return statusError(*response, what);
    }
    if (!isJson(*response)) {
        return notJson(*response, what);
    }
    auto result = parseSubmissionResponse(response->body);
    if (!result) {
        return result.error();
    }
    const bool rejected = result->status == SubmissionStatus::Rejected;
    if (rejected != (response->status == 422)) {
        return base::makeError(ErrorCode::ProtocolError, what + ": HTTP " + std::to_string(response->status) +
                                                             " with status \"" +
                                                             std::string(submissionStatusName(result->status)) + "\"");
    }
    return result;
}

base::Result<CanEncrypt> DirectoryClient::canEncrypt(std::string_view address) {
    m_retryAfter.reset();
    auto normalised = normaliseAddress(address);
    if (!normalised) {
        return normalised.error();
    }
    const std::string what = "GET /v1/can-encrypt";
    auto response =
        detail::perform({.method = "GET",
                         .url = m_options.baseUrl + "/v1/can-encrypt/" + base::percentEncode(*normalised, kUrlSafe),
                         .headers = {"Accept: application/json"},
                         .body = {}},
                        m_options);
    if (!response) {
        return response.error();
    }
    m_retryAfter = response->retryAfter;
    if (response->status != 200) {
        return statusError(*response, what);
    }
    if (!isJson(*response)) {
        return notJson(*response, what);
    }
    return parseCanEncryptResponse(response->body);
}

} // namespace sealpost::directory
