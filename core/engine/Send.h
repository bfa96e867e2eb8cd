#pragma once

// Transparent protection of outgoing mail (docs/sending.md): decide per recipient what will
// happen, show it before anything is sent, then build the signed and, when every recipient can be
// encrypted to, encrypted message with RFC 9788 header protection and hand it to the outbox.
//
// The three steps are separate so that a UI can call planSend() from a worker thread while the
// user types, show the plan, let the user override it, and only then build and queue.

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/CmsTypes.h"
#include "directory/DirectoryLookup.h"
#include "engine/RecipientResolver.h"
#include "store/Database.h"
#include "store/Outbox.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// Per account, stored in the profile's settings (key "send.policy.<address>").
enum class SendPolicy {
    EncryptWhenPossible, // default: sign always, encrypt when every recipient has a usable key
    RequireEncryption,   // refuse to send unless the message can be encrypted to everyone
    SignOnly,            // never encrypt (still signed when an identity exists)
};
[[nodiscard]] std::string_view sendPolicyName(SendPolicy policy) noexcept; // "encrypt-when-possible"
[[nodiscard]] std::optional<SendPolicy> parseSendPolicy(std::string_view name) noexcept;
// EncryptWhenPossible when nothing is stored for the account.
[[nodiscard]] base::Result<SendPolicy> loadSendPolicy(store::Database& db, std::string_view accountAddress);
[[nodiscard]] base::Result<void> saveSendPolicy(store::Database& db, std::string_view accountAddress,
                                                SendPolicy policy);

struct Attachment {
    std::string fileName;    // as shown to the recipient (no directory part)
    std::string contentType; // e.g. "application/pdf"; "" guesses from the name, else octet-stream
    std::string data;
};

// What the message answers, so that a reply to encrypted mail is not sent in the clear by mistake.
struct ReplyContext {
    std::string inReplyTo;               // Message-ID of the original, with angle brackets
    std::vector<std::string> references; // the original's References plus its Message-ID
    bool originalEncrypted = false;      // the original arrived encrypted (and was decrypted)
    std::string quotedText;              // text of the original to quote ("" none); never in a plain message
    // For the attribution line before the quote: "On DATE, FROM wrote:" ("The original message:"
    // when both are empty).
    std::string originalFrom; // e.g. "Bob <bob@example.org>"
    std::string originalDate; // as in the original's Date field
};

// A message to send. Either the fields (from, to, ..., body) or `raw`, a complete RFC 5322 message
// (send -i): then From/To/Cc/Bcc/Subject come from its header and the other fields are ignored
// (reply still applies).
struct Draft {
    std::string from; // the sender's address; the account gives the display name
    std::string fromName;
    std::vector<std::string> to;
    std::vector<std::string> cc;
    std::vector<std::string> bcc;
    std::string subject;
    std::string body; // UTF-8 text/plain
    std::vector<Attachment> attachments;
    std::optional<ReplyContext> reply;
    std::string raw;
};

enum class RecipientField { To, Cc, Bcc };
[[nodiscard]] std::string_view recipientFieldName(RecipientField field) noexcept; // "to" | "cc" | "bcc"

enum class RecipientStatus {
    Encrypt,                // a valid certificate is known (profile or directory)
    AvailableButUnverified, // a certificate exists but failed validation (untrusted chain, ...)
    NoKey,                  // no certificate anywhere (or only expired/unusable ones)
};
[[nodiscard]] std::string_view recipientStatusName(RecipientStatus status) noexcept; // "no-key"

struct RecipientDecision {
    std::string address; // normalised (lower case)
    RecipientField field = RecipientField::To;
    RecipientStatus status = RecipientStatus::NoKey;
    // Stable code: the selection reason when Encrypt ("only-candidate", "encryption-key-preference",
    // ...), else "no-certificate", "all-expired", "no-usable-key-usage", "directory-not-found",
    // "directory-unreachable", "directory-rejected", ...
    std::string reason;
    std::string detail; // for people: e.g. "chain-untrusted: unable to get issuer"
    RecipientSource source = RecipientSource::None;
    std::optional<std::string> fingerprint; // the certificate that will be used (Encrypt)
    bool gcm = false;                       // its capabilities include AES-256-GCM
};

// What the user may change after seeing the plan.
struct SendOverrides {
    bool forcePlain = false;                   // do not encrypt even when possible (still signed)
    std::vector<std::string> removeRecipients; // drop these addresses from To/Cc/Bcc
};

struct SendPlan {
    SendPolicy policy = SendPolicy::EncryptWhenPossible;
    std::vector<RecipientDecision> recipients; // To, then Cc, then Bcc, each once
    bool sign = false;                         // the sender has a current signing identity
    bool encrypt = false;                      // every recipient is Encrypt, policy and overrides allow it
    crypto::ContentCipher cipher = crypto::ContentCipher::Aes256Cbc; // GCM only when all have it
    // Why (not) encrypted: "all-recipients-have-keys", "recipient-without-key", "policy-sign-only",
    // "forced-plain", "no-encryption-certificate-of-sender", "already-protected" (a raw draft that
    // is S/MIME already: sent as it is, neither signed nor encrypted again).
    std::string reason;
    // Set when nothing may be sent as planned: "encryption-required" (RequireEncryption and not
    // every recipient can be encrypted to), "reply-to-encrypted-would-go-plain" (the original was
    // encrypted, this would not be, and the user did not force plain), "no-recipients".
    std::optional<std::string> refusal;
    // Codes for the UI: "no-signing-identity", "quote-dropped" (forced plain reply: the quoted
    // decrypted text is left out), "bcc-separate-copies".
    std::vector<std::string> warnings;
};

// Decides, sending nothing. Recipients are resolved like RecipientResolver (profile first, then
// one directory batch when `lookup` is given). Errors: store failures, malformed addresses
// (InvalidArgument, naming the address), a raw draft that does not parse (MalformedInput).
[[nodiscard]] base::Result<SendPlan> planSend(store::Database& db, const base::Clock& clock, const Draft& draft,
                                              SendPolicy policy, const SendOverrides& overrides,
                                              directory::DirectoryLookup* lookup,
                                              const directory::LookupOptions& options);

// One SMTP transaction's worth of the message.
struct OutgoingCopy {
    std::string raw;                     // exactly what goes on the wire (no Bcc field)
    std::vector<std::string> envelopeTo; // RCPT TO
    std::string copy;                    // "" the main copy (To + Cc), "bcc:ADDRESS" a Bcc copy
};

struct OutgoingMessage {
    std::string messageId; // shared by every copy, with angle brackets
    std::string envelopeFrom;
    std::vector<OutgoingCopy> copies; // the main copy first (absent when there are only Bcc recipients)
    // What is filed in Sent: the whole message with its Bcc field, encrypted to the sender only
    // when the message is encrypted.
    std::string sentCopy;
};

// Builds the MIME and protects it as planned: RFC 9788 header protection (hp="cipher" with the
// outer Subject "[...]" and a legacy display element when encrypted, hp="clear" when only
// signed), signed by the sender's current identity, encrypted to the To and Cc recipients plus the
// sender; each Bcc recipient gets a copy encrypted to them and the sender only (a message that is
// not encrypted goes as one copy to everyone, Bcc included, without the Bcc field). A reply's
// quoted text is included only when encrypted. Errors:
// InvalidArgument when the plan carries a refusal; crypto and MIME errors.
[[nodiscard]] base::Result<OutgoingMessage> buildOutgoing(store::Database& db, const base::Clock& clock,
                                                          const Draft& draft, const SendPlan& plan);

// Queues every copy in the outbox in one transaction (idempotent by Message-ID and copy). The first
// copy carries the Sent copy (store::QueueRequest::sentCopy; omitted when equal to its raw);
// the other Bcc copies are never filed in Sent.
[[nodiscard]] base::Result<std::vector<store::QueueOutcome>>
queueOutgoing(store::Database& db, const base::Clock& clock, std::int64_t accountId, const OutgoingMessage& message);

} // namespace sealpost::engine
