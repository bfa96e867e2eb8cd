#pragma once
// The mail formats of RFC 8823 (email-reply-00) as docs/acme.md ("The challenge") fixes them, for
// both sides: the CA builds the challenge mail and parses replies, the client recognises the
// challenge mail and builds the reply. No network, no store.

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/PublicKey.h"
#include "smime/OpenReport.h"

#include <string>
#include <string_view>

namespace sealpost::acme {

// True for exactly 24 base64url characters (18 random bytes): the form of each token part.
[[nodiscard]] bool isTokenPart(std::string_view text) noexcept;

// --- the CA's side ---------------------------------------------------------------------------

struct ChallengeMailFields {
    std::string from;       // the CA's challenge address (addr-spec)
    std::string to;         // the address being validated (addr-spec)
    std::string tokenPart1; // 24 base64url characters
    std::string messageId;  // without angle brackets
    base::TimePoint date;
};

// The unsigned challenge mail (CRLF line ends, 7-bit): From, To, Subject "ACME: <token-part1>",
// Date, Message-ID, Auto-Submitted "auto-generated; type=acme", MIME-Version and a text/plain
// us-ascii body saying what it is. The CA signs it with header protection before sending.
// Errors: InvalidArgument for an address that is not a single addr-spec, a malformed token-part1
// or Message-ID.
[[nodiscard]] base::Result<std::string> buildChallengeMail(const ChallengeMailFields& fields);

// A reply as the CA reads it from its mailbox.
struct ParsedReply {
    std::string tokenPart1;  // from the Subject, "Re:" prefixes and folding removed
    std::string fromAddress; // the single From addr-spec (domain lower-cased)
    std::string response;    // between the ACME RESPONSE markers, whitespace removed
    std::string messageId;   // without angle brackets, "" when absent
    std::string inReplyTo;   // without angle brackets, "" when absent
};

// Parses a reply: Subject "[Re: ...]ACME: <token-part1>" (any number of case-insensitive "Re:",
// folding ignored), exactly one From field with one address, and the response block in the
// text/plain body (or the first text/plain part of a multipart/mixed, alternative or signed),
// quoted-printable and base64 decoded. Errors: MalformedInput naming what is wrong (no or
// several From addresses, not an ACME subject, a token-part1 of the wrong form, no text part,
// missing markers, a response that is empty or not base64url).
[[nodiscard]] base::Result<ParsedReply> parseReply(std::string_view message);

// --- the client's side -----------------------------------------------------------------------

// The rule of docs/acme.md a candidate challenge mail broke (None: it is a challenge).
enum class ChallengeRule {
    None,
    Structure,           // the mail cannot be parsed or lacks Subject / Message-ID
    SignatureValid,      // no valid signature chaining to the configured CA root
    CoversWholeMessage,  // the signature does not cover every part
    HeadersProtected,    // no RFC 9788 protected header section
    OuterHeadersMatch,   // an outer From, To, Subject or Auto-Submitted differs from the protected one
    SignerIsFrom,        // a signer's certificate does not carry the From address
    FromIsChallengeFrom, // From is not (exactly one address equal to) the challenge's "from"
    AutoSubmitted,       // Auto-Submitted lacks type=acme
    Subject,             // the Subject is not "ACME: <token-part1>"
    TokenPart1,          // token-part1 is not 24 base64url characters
    To,                  // To is not exactly the address being enrolled
};

[[nodiscard]] std::string_view challengeRuleName(ChallengeRule rule) noexcept;

struct ChallengeExpectation {
    std::string_view from;            // the challenge object's "from"
    std::string_view enrolledAddress; // the identifier of the authorization
};

// Whether a mail is the challenge, as a value: a forged or broken mail is an answer, not an error.
struct ChallengeRecognition {
    ChallengeRule failed = ChallengeRule::None;
    std::string detail;     // what exactly differed, for logs
    std::string tokenPart1; // only when recognised
    std::string messageId;  // the challenge's Message-ID without angle brackets; only when recognised
    [[nodiscard]] bool recognised() const noexcept { return failed == ChallengeRule::None; }
};

// Applies every rule of docs/acme.md to `message` and the report the S/MIME opener produced for
// it. The opener must have been given the CA's root as its only trust anchor: "valid" then means
// the signature chains to it. Header fields are read from the protected header section.
[[nodiscard]] ChallengeRecognition recognizeChallenge(std::string_view message, const smime::OpenReport& report,
                                                      const ChallengeExpectation& expected);

// base64url(SHA-256(key authorization)), the key authorization being
// token-part1 || token-part2 "." base64url(JWK thumbprint of the account key).
// Errors: InvalidArgument for a token part that is not 24 base64url characters; those of
// crypto::keyAuthorization.
[[nodiscard]] base::Result<std::string> challengeResponse(std::string_view tokenPart1, std::string_view tokenPart2,
                                                          const crypto::PublicKey& accountKey);

struct ReplyFields {
    std::string from; // the address being enrolled
    std::string to;   // the challenge's "from"
    std::string tokenPart1;
    std::string challengeMessageId; // without angle brackets
    std::string response;           // from challengeResponse()
    base::TimePoint date;
    std::string messageId; // without angle brackets; "" leaves it to the submission (mail::prepareForSubmission)
};

// The reply (7-bit, CRLF line ends): From, To, Subject "Re: ACME: <token-part1>", Date,
// [Message-ID,] In-Reply-To and References (the challenge's Message-ID), Auto-Submitted
// "auto-replied; type=acme", MIME-Version, text/plain us-ascii, 7bit, and the response between
// the markers. Errors: InvalidArgument for malformed fields.
[[nodiscard]] base::Result<std::string> buildReplyMail(const ReplyFields& fields);

} // namespace sealpost::acme
