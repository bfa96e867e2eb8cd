#pragma once

// The SMTP envelope of a message, taken from its own header, and the bytes that go on the wire.

#include "base/ByteSource.h"
#include "base/Result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail {

struct Envelope {
    std::string from;                    // MAIL FROM: Sender if present, else the single From address
    std::vector<std::string> recipients; // RCPT TO: every To, Cc and Bcc addr-spec, once each
    std::string messageId;               // the Message-ID value with its angle brackets; empty when absent
};

// Reads the envelope from the message header. Errors: MalformedInput for a header that cannot be
// parsed or an address field that is not a valid address list; InvalidArgument for no From (or
// several From addresses without a Sender) and for no recipient at all.
[[nodiscard]] base::Result<Envelope> envelopeOf(std::string_view message);

// A message ready for the outbox: the stored copy (Bcc kept) with a Message-ID, and its envelope.
struct PreparedMessage {
    std::string raw;
    Envelope envelope;
    bool messageIdAdded = false;
};

// envelopeOf() plus a generated Message-ID ("<random@domain-of-From>", added as the first field,
// with the message's own line ending) when the message has none.
[[nodiscard]] base::Result<PreparedMessage> prepareForSubmission(std::string message);

// What is transmitted for a stored message: the header without Bcc fields, and every line ending
// CRLF (bare LF converted). Streams from the caller's bytes: only the header is copied.
class SubmissionSource final : public base::ByteSource {
public:
    explicit SubmissionSource(std::string_view message);
    [[nodiscard]] base::Result<std::size_t> read(std::span<std::uint8_t> out) override;
    [[nodiscard]] bool rewind() override;
    // The number of bytes read() yields in all.
    [[nodiscard]] std::optional<std::size_t> size() const override { return m_size; }

private:
    std::string m_header; // transmitted header incl. the blank line, CRLF
    std::string_view m_body;
    std::size_t m_headerPos = 0;
    std::size_t m_bodyPos = 0;
    bool m_pendingLf = false; // a CR was emitted for a bare LF, its LF not yet
    std::size_t m_size = 0;
};

} // namespace sealpost::mail
