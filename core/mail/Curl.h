#pragma once

// libcurl plumbing shared by the IMAP and SMTP clients. Internal to core/mail: no curl type
// appears in a public header of this folder.

#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <curl/curl.h>
#include <memory>
#include <string>
#include <vector>

namespace sealpost::mail::detail {

// What the TLS layer saw, for an error message the user can act on.
struct TlsObservation {
    std::string pinnedSha256; // copied from the settings
    std::string leafSha256;   // SHA-256 of the certificate the server presented (hex)
    std::string verifyError;  // OpenSSL's reason when the chain did not verify
    bool pinMismatch = false;
};

struct SslContextSetup;

// One easy handle with the connection settings applied; reuse it for several transfers to the
// same server and libcurl keeps the connection open between them.
class CurlHandle {
public:
    CurlHandle();
    ~CurlHandle();
    CurlHandle(const CurlHandle&) = delete;
    CurlHandle& operator=(const CurlHandle&) = delete;
    CurlHandle(CurlHandle&&) = delete;
    CurlHandle& operator=(CurlHandle&&) = delete;

    // Applies host, port, security, credentials, TLS policy and timeouts. `scheme` is "imap" or
    // "smtp"; the TLS scheme ("imaps", "smtps") is chosen from the settings. InvalidArgument for a
    // plaintext connection that is not allowed.
    [[nodiscard]] base::Result<void> configure(const ServerSettings& settings, std::string_view scheme);

    // scheme://host:port/ with the right scheme; append a path to it.
    [[nodiscard]] const std::string& baseUrl() const noexcept { return m_baseUrl; }
    [[nodiscard]] CURL* get() const noexcept { return m_curl; }

    // Runs the transfer and turns a failure into an error with a code the user can act on.
    // `what` names the operation for the message ("login", "UID FETCH", "RCPT TO").
    [[nodiscard]] base::Result<void> perform(std::string_view what);

    // The last server reply code (IMAP: none; SMTP: e.g. 250, 550), 0 when none.
    [[nodiscard]] long responseCode() const noexcept;

    [[nodiscard]] const TlsObservation& tls() const noexcept { return *m_tls; }

private:
    CURL* m_curl = nullptr;
    std::string m_baseUrl;
    std::unique_ptr<TlsObservation> m_tls;
    std::unique_ptr<char[]> m_errorBuffer;
    std::unique_ptr<SslContextSetup> m_sslSetup;
};

// A curl_slist (headers, recipients, CURLOPT_CONNECT_TO entries), freed as a whole.
struct CurlSlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;
// The lines as one list; Io when out of memory.
[[nodiscard]] base::Result<CurlSlist> makeSlist(const std::vector<std::string>& lines);

// A CURLOPT_SSL_CTX_FUNCTION that adds the PEM anchors of the file named by the std::string
// that CURLOPT_SSL_CTX_DATA points to (nothing when it is empty) to the default ones.
CURLcode addCaFile(CURL* curl, void* sslCtx, void* caFile);

// The error for a failed transfer (exposed for unit tests).
[[nodiscard]] base::Error curlFailure(CURLcode code, std::string_view what, std::string_view curlDetail,
                                      long responseCode, const TlsObservation& tls);

} // namespace sealpost::mail::detail
