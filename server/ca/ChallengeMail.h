#pragma once

#include "base/Clock.h"
#include "base/Result.h"

#include <string>

namespace sealpost::ca {

// The boundary between the ACME server (server/ca/acme) and the CA's mailbox (server/ca/mail);
// docs/acme.md, "The challenge".

// A challenge mail to send: the ACME server creates it at newOrder, the mail side builds, signs
// and sends it.
struct OutgoingChallenge {
    std::string challengeId; // opaque, for logs
    std::string to;          // the address being validated
    std::string tokenPart1;  // 24 base64url characters
    std::string messageId;   // without angle brackets, unique
    base::TimePoint date;
};

// Sends challenge mails. Called from request threads; implementations are thread-safe. An error
// makes the newOrder fail with serverInternal (nothing is left half-created).
class ChallengeMailer {
public:
    virtual ~ChallengeMailer() = default;
    [[nodiscard]] virtual base::Result<void> send(const OutgoingChallenge& challenge) = 0;
};

// A reply found in the CA's mailbox, already parsed by the mail side.
struct ChallengeReply {
    std::string tokenPart1;    // from "Subject: Re: ACME: <token-part1>"
    std::string fromAddress;   // the single From mailbox, as written
    std::string response;      // the text between the ACME RESPONSE markers, whitespace removed
    bool dkimVerified = false; // a valid DKIM signature of the From domain covers From and Subject
    std::string messageId;     // for logs
};

// What the ACME server made of a reply (for the mail side's log; the mail is deleted either way).
enum class ReplyVerdict {
    Accepted,          // response right: the challenge is (or will be, after the client's POST) valid
    IncorrectResponse, // the challenge is now invalid (incorrectResponse)
    Unauthorized,      // wrong sender, or DKIM required and missing: the challenge is now invalid
    Ignored,           // no such token-part1, expired, or the challenge already had its reply
};

// Implemented by the ACME server; the mail side calls it for each reply. Thread-safe.
class ReplySink {
public:
    virtual ~ReplySink() = default;
    [[nodiscard]] virtual base::Result<ReplyVerdict> acceptReply(const ChallengeReply& reply) = 0;
};

} // namespace sealpost::ca
