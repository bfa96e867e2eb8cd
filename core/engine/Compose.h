#pragma once

// RFC 5322 / MIME building for Send (docs/sending.md): the fields of a Draft become a message,
// a raw Draft gets what it lacks. Internal to the engine.

#include "base/Clock.h"
#include "base/Result.h"
#include "engine/Send.h"

#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// The sender and recipients of a draft, from its fields or from the header of `raw`.
struct DraftAddresses {
    std::string from; // addr-spec
    std::vector<std::string> to;
    std::vector<std::string> cc;
    std::vector<std::string> bcc;
};
// MalformedInput when a raw draft's header does not parse or has no single From address.
[[nodiscard]] base::Result<DraftAddresses> draftAddresses(const Draft& draft);

struct ComposeOptions {
    base::TimePoint now;
    std::vector<std::string> removed; // addresses left out of To/Cc/Bcc (a raw draft's fields are rewritten)
    bool quote = false;               // include the reply's quoted text
    std::string messageId;            // "<...>" to use (bulk sending), "" for a random one
};

struct ComposedMessage {
    std::string withBcc; // the whole message, for Sent
    std::string wire;    // the same without Bcc fields
    std::string messageId;
    std::string envelopeFrom; // the Sender, else the From address
};

// Builds the message from the draft's fields, or completes a raw draft (Message-ID and Date when
// missing). Errors: InvalidArgument (no From, no recipient), MalformedInput (raw header),
// CryptoFailure (no random bytes).
[[nodiscard]] base::Result<ComposedMessage> composeMessage(const Draft& draft, const ComposeOptions& options);

// "Tue, 24 Nov 2026 10:07:55 +0000"
[[nodiscard]] std::string rfc5322Date(base::TimePoint at);
// The text as is when it is printable ASCII, else RFC 2047 encoded words (UTF-8, base64), folded.
[[nodiscard]] std::string encodeHeaderText(std::string_view text);
// The message without its Bcc fields (continuation lines included); everything else byte for byte.
[[nodiscard]] std::string removeBccFields(std::string_view message);
// Whether a raw message is already S/MIME at the top (multipart/signed or application/pkcs7-mime).
[[nodiscard]] bool isSmimeMessage(std::string_view message);

} // namespace sealpost::engine
