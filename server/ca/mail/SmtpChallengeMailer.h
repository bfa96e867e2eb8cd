#pragma once

#include "ca/ChallengeMail.h"
#include "crypto/Identity.h"
#include "mail/ServerSettings.h"

#include <memory>
#include <mutex>
#include <string>

namespace sealpost::mail {
class SmtpClient;
}

namespace sealpost::ca::mail {

// The challenge mail of docs/acme.md, signed (multipart/signed, RFC 9788 hp="clear") by the
// CA's mail-signing identity, whose certificate carries `from`. CRLF line ends. Errors:
// InvalidArgument for malformed fields, crypto errors from signing.
[[nodiscard]] base::Result<std::string> buildSignedChallenge(const OutgoingChallenge& challenge, std::string_view from,
                                                             const crypto::Identity& signer);

// Sends each challenge mail through the CA's SMTP submission server (envelope sender `from`,
// one recipient). Thread-safe: sends are serialised over one kept-open connection.
class SmtpChallengeMailer final : public ChallengeMailer {
public:
    SmtpChallengeMailer(sealpost::mail::ServerSettings smtp, std::string from, crypto::Identity signer);
    ~SmtpChallengeMailer() override;
    SmtpChallengeMailer(const SmtpChallengeMailer&) = delete;
    SmtpChallengeMailer& operator=(const SmtpChallengeMailer&) = delete;
    SmtpChallengeMailer(SmtpChallengeMailer&&) = delete;
    SmtpChallengeMailer& operator=(SmtpChallengeMailer&&) = delete;

    // Errors: those of buildSignedChallenge and of mail::SmtpClient::send.
    [[nodiscard]] base::Result<void> send(const OutgoingChallenge& challenge) override;

private:
    std::string m_from;
    crypto::Identity m_signer;
    std::mutex m_mutex;
    std::unique_ptr<sealpost::mail::SmtpClient> m_smtp; // guarded by m_mutex
};

} // namespace sealpost::ca::mail
