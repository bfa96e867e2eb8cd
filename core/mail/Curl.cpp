#include "mail/Curl.h"

#include <array>
#include <cstdio>
#include <mutex>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace sealpost::mail::detail {

using base::ErrorCode;

namespace {

// curl_global_init is not thread-safe in every libcurl build; do it once, before any handle.
void ensureCurlInitialised() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string sha256Hex(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (cert == nullptr || X509_digest(cert, EVP_sha256(), md.data(), &len) != 1) {
        return {};
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(static_cast<std::size_t>(len) * 2U);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(kHex[md[i] >> 4U]);
        out.push_back(kHex[md[i] & 0x0FU]);
    }
    return out;
}

// Replaces OpenSSL's chain verification: a pinned certificate is accepted alone (and nothing
// else); otherwise the normal verification runs. Either way the leaf's fingerprint is noted so an
// error can name it.
int verifyCertificate(X509_STORE_CTX* ctx, void* arg) {
    auto* seen = static_cast<TlsObservation*>(arg);
    seen->leafSha256 = sha256Hex(X509_STORE_CTX_get0_cert(ctx));
    if (!seen->pinnedSha256.empty()) {
        if (!seen->leafSha256.empty() && seen->leafSha256 == seen->pinnedSha256) {
            X509_STORE_CTX_set_error(ctx, X509_V_OK);
            return 1;
        }
        seen->pinMismatch = true;
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    const int ok = X509_verify_cert(ctx);
    if (ok != 1) {
        seen->verifyError = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    }
    return ok;
}

} // namespace

struct SslContextSetup {
    TlsObservation* seen;
    std::string caFile;
};

namespace {

CURLcode prepareSslContext(CURL* /*curl*/, void* sslCtx, void* arg) {
    auto* setup = static_cast<SslContextSetup*>(arg);
    auto* ctx = static_cast<SSL_CTX*>(sslCtx);
    if (!setup->caFile.empty() && X509_STORE_load_file(SSL_CTX_get_cert_store(ctx), setup->caFile.c_str()) != 1) {
        return CURLE_SSL_CACERT_BADFILE;
    }
    SSL_CTX_set_cert_verify_callback(ctx, verifyCertificate, setup->seen);
    return CURLE_OK;
}

std::string hostForUrl(const std::string& host) {
    return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

} // namespace

CurlHandle::CurlHandle()
    : m_tls(std::make_unique<TlsObservation>()), m_errorBuffer(std::make_unique<char[]>(CURL_ERROR_SIZE)) {
    ensureCurlInitialised();
    m_curl = curl_easy_init();
}

CurlHandle::~CurlHandle() {
    if (m_curl != nullptr) {
        curl_easy_cleanup(m_curl);
    }
}

base::Result<void> CurlHandle::configure(const ServerSettings& settings, std::string_view scheme) {
    if (m_curl == nullptr) {
        return base::makeError(ErrorCode::CryptoFailure, "libcurl: cannot create a handle");
    }
    if (settings.host.empty() || settings.port <= 0 || settings.port > 65535) {
        return base::makeError(ErrorCode::InvalidArgument, "server host or port missing");
    }
    if (settings.security == Security::Plain && !(settings.allowPlaintext && isLoopbackHost(settings.host))) {
        return base::makeError(ErrorCode::InvalidArgument, "refusing an unencrypted connection to " + settings.host +
                                                               " (only allowed explicitly, and only to this machine)");
    }
    const bool implicitTls = settings.security == Security::ImplicitTls;
    m_baseUrl = std::string(scheme) + (implicitTls ? "s" : "") + "://" + hostForUrl(settings.host) + ":" +
                std::to_string(settings.port) + "/";
    m_tls->pinnedSha256 = settings.pinnedSha256;
    m_sslSetup = std::make_unique<SslContextSetup>(SslContextSetup{m_tls.get(), settings.caFile});

    CURL* c = m_curl;
    const std::string protocols = std::string(scheme) + "," + std::string(scheme) + "s";
    bool ok = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m_errorBuffer.get()) == CURLE_OK;
    ok = ok &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connectTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK;
    ok =
        ok && curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings.stallTimeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_USE_SSL,
                                settings.security == Security::StartTls ? CURLUSESSL_ALL : CURLUSESSL_NONE) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    // A pinned certificate stands for itself: the names in it do not matter.
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, settings.pinnedSha256.empty() ? 2L : 0L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, prepareSslContext) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, m_sslSetup.get()) == CURLE_OK;
    if (!settings.username.empty()) {
        ok = ok && curl_easy_setopt(c, CURLOPT_USERNAME, settings.username.c_str()) == CURLE_OK;
    }
    switch (settings.auth) {
    case AuthMethod::Plain:
        ok = ok && curl_easy_setopt(c, CURLOPT_PASSWORD, settings.secret.c_str()) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN") == CURLE_OK;
        break;
    case AuthMethod::Login:
        ok = ok && curl_easy_setopt(c, CURLOPT_PASSWORD, settings.secret.c_str()) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=LOGIN") == CURLE_OK;
        break;
    case AuthMethod::XOAuth2:
        ok = ok && curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, settings.secret.c_str()) == CURLE_OK;
        ok = ok && curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2") == CURLE_OK;
        break;
    }
    if (!ok) {
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks a needed option (is it built with OpenSSL?)");
    }
    return base::Ok{};
}

base::Result<void> CurlHandle::perform(std::string_view what) {
    m_errorBuffer[0] = '\0';
    m_tls->leafSha256.clear();
    m_tls->verifyError.clear();
    m_tls->pinMismatch = false;
    const CURLcode rc = curl_easy_perform(m_curl);
    if (rc == CURLE_OK) {
        return base::Ok{};
    }
    return curlFailure(rc, what, m_errorBuffer.get(), responseCode(), *m_tls);
}

long CurlHandle::responseCode() const noexcept {
    long code = 0;
    if (curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) {
        return 0;
    }
    return code;
}

base::Error curlFailure(CURLcode code, std::string_view what, std::string_view curlDetail, long responseCode,
                        const TlsObservation& tls) {
    std::string detail =
        std::string(what) + ": " + (curlDetail.empty() ? curl_easy_strerror(code) : std::string(curlDetail));
    if (responseCode > 0) {
        detail += " (server reply " + std::to_string(responseCode) + ")";
    }
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return {ErrorCode::Unreachable, detail};
    case CURLE_OPERATION_TIMEDOUT:
        // No certificate seen yet means the connection itself never came up.
        return {tls.leafSha256.empty() && responseCode == 0 ? ErrorCode::Unreachable : ErrorCode::TemporaryFailure,
                detail};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        if (tls.pinMismatch) {
            detail +=
                "; the certificate (SHA-256 " + tls.leafSha256 + ") is not the pinned one (" + tls.pinnedSha256 + ")";
        } else if (!tls.leafSha256.empty()) {
            detail +=
                "; certificate SHA-256 " + tls.leafSha256 + (tls.verifyError.empty() ? "" : ": " + tls.verifyError);
        }
        return {ErrorCode::UntrustedServer, detail};
    case CURLE_SSL_CONNECT_ERROR:
        if (tls.pinMismatch || !tls.verifyError.empty()) {
            return curlFailure(CURLE_PEER_FAILED_VERIFICATION, what, curlDetail, responseCode, tls);
        }
        return {ErrorCode::ProtocolError, detail + "; TLS handshake failed (wrong port for this security setting?)"};
    case CURLE_USE_SSL_FAILED: return {ErrorCode::ProtocolError, detail + "; the server does not offer STARTTLS"};
    case CURLE_LOGIN_DENIED: return {ErrorCode::AuthFailed, detail};
    case CURLE_WEIRD_SERVER_REPLY: return {ErrorCode::ProtocolError, detail};
    default: break;
    }
    // What remains is judged by the server's reply where there is one (SMTP: 4xx temporary, 5xx
    // permanent); a transfer that broke off without one is temporary.
    if (responseCode >= 500 && responseCode < 600) {
        return {ErrorCode::PermanentFailure, detail};
    }
    if (code == CURLE_REMOTE_ACCESS_DENIED || code == CURLE_QUOTE_ERROR) {
        return {ErrorCode::PermanentFailure, detail};
    }
    if (code == CURLE_OUT_OF_MEMORY || code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT) {
        return {ErrorCode::InvalidArgument, detail};
    }
    return {ErrorCode::TemporaryFailure, detail};
}

CURLcode addCaFile(CURL* /*curl*/, void* sslCtx, void* caFile) {
    const auto* path = static_cast<const std::string*>(caFile);
    if (!path->empty() &&
        X509_STORE_load_file(SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(sslCtx)), path->c_str()) != 1) {
        return CURLE_SSL_CACERT_BADFILE;
    }
    return CURLE_OK;
}

base::Result<CurlSlist> makeSlist(const std::vector<std::string>& lines) {
    CurlSlist list;
    for (const auto& line : lines) {
        curl_slist* next = curl_slist_append(list.get(), line.c_str());
        if (next == nullptr) {
            return base::makeError(base::ErrorCode::Io, "out of memory");
        }
        static_cast<void>(list.release());
        list.reset(next);
    }
    return list;
}

} // namespace sealpost::mail::detail
