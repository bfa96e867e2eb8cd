#include "ca/mail/SmtpChallengeMailer.h"

#include "acme/EmailChallenge.h"
#include "mail/Envelope.h"
#include "mail/SmtpClient.h"
#include "smime/MessageProtector.h"

#include <vector>

namespace sealpost::ca::mail {

base::Result<std::string> buildSignedChallenge(const OutgoingChallenge& challenge, std::string_view from,
                                               const crypto::Identity& signer) {
    auto text = acme::buildChallengeMail(acme::ChallengeMailFields{
        std::string(from), challenge.to, challenge.tokenPart1, challenge.messageId, challenge.date});
    if (!text) {
        return text.error();
    }
    smime::ProtectRequest request;
    request.sign =
        smime::SignStep{signer, smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256, std::nullopt};
    request.now = challenge.date;
    request.protectHeaders = true;
    std::string out;
    base::StringSink sink(out);
    if (auto done = smime::protectMessage(*text, request, sink); !done) {
        return done.error();
    }
    return out;
}

SmtpChallengeMailer::SmtpChallengeMailer(sealpost::mail::ServerSettings smtp, std::string from, crypto::Identity signer)
    : m_from(std::move(from)), m_signer(std::move(signer)),
      m_smtp(std::make_unique<sealpost::mail::SmtpClient>(std::move(smtp))) {}

SmtpChallengeMailer::~SmtpChallengeMailer() = default;

base::Result<void> SmtpChallengeMailer::send(const OutgoingChallenge& challenge) {
    auto message = buildSignedChallenge(challenge, m_from, m_signer);
    if (!message) {
        return message.error();
    }
    const std::vector<std::string> recipients{challenge.to};
    sealpost::mail::SubmissionSource source(*message);
    sealpost::mail::SmtpSubmission submission;
    submission.envelopeFrom = m_from;
    submission.recipients = &recipients;
    submission.message = &source;
    const std::lock_guard lock(m_mutex);
    return m_smtp->send(submission);
}

} // namespace sealpost::ca::mail
