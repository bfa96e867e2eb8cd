#pragma once

#include "base/ByteSource.h"
#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail {

namespace detail {
class CurlHandle;
struct SmtpTransfer;
} // namespace detail

// One message to submit.
struct SmtpSubmission {
    std::string_view envelopeFrom;
    const std::vector<std::string>* recipients = nullptr;
    base::ByteSource* message = nullptr; // exactly what goes on the wire (see SubmissionSource)
    // Called once, after the last byte of the message was handed over and before the end-of-data
    // marker (CRLF.CRLF) is sent: from then on the server may have the message. An error aborts
    // the transaction before that marker, so the server discards the message.
    std::function<base::Result<void>()> beforeEndOfData;
};

// Message submission (RFC 6409) over libcurl: STARTTLS or implicit TLS per the settings, SASL
// login, MAIL FROM / RCPT TO / DATA. Keeps the connection open between messages. One thread at a
// time.
class SmtpClient {
public:
    explicit SmtpClient(ServerSettings settings);
    ~SmtpClient();
    SmtpClient(const SmtpClient&) = delete;
    SmtpClient& operator=(const SmtpClient&) = delete;
    SmtpClient(SmtpClient&&) = delete;
    SmtpClient& operator=(SmtpClient&&) = delete;

    // Sends one message to all recipients or to none: a recipient the server refuses fails the
    // whole transaction. Errors (detail ends with the server's last reply when there was one):
    //   PermanentFailure  5xx (unknown recipient, message refused)
    //   TemporaryFailure  4xx, dropped connection, timeout
    //   AuthFailed, Unreachable, UntrustedServer, ProtocolError  as for every connection
    //   InvalidArgument   no recipient, or settings that cannot be used
    [[nodiscard]] base::Result<void> send(const SmtpSubmission& submission);

    // The server's last 4xx or 5xx reply during the last send() (all lines joined, CRLF removed),
    // empty when it refused nothing.
    [[nodiscard]] const std::string& lastRefusal() const noexcept;

private:
    ServerSettings m_settings;
    std::unique_ptr<detail::CurlHandle> m_curl;
    std::unique_ptr<detail::SmtpTransfer> m_transfer;
    bool m_configured = false;
};

} // namespace sealpost::mail
