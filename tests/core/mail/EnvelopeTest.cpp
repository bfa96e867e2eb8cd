#include "mail/Envelope.h"

#include <array>
#include <gtest/gtest.h>
#include <string>

namespace sealpost::mail {
namespace {

std::string drain(base::ByteSource& source, std::size_t chunk) {
    std::string out;
    std::string buffer(chunk, '\0');
    for (;;) {
        auto n = source.read(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer.data()), buffer.size()));
        EXPECT_TRUE(n.ok());
        if (!n.ok() || *n == 0) {
            return out;
        }
        out.append(buffer.data(), *n);
    }
}

TEST(EnvelopeTest, FromToCcBccDeduplicatedCaseInsensitively) {
    const auto e =
        envelopeOf("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>, carol@example.org\r\n"
                   "Cc: BOB@Example.org\r\nBcc: dave@example.org\r\nMessage-ID: <1@example.org>\r\n\r\nhi\r\n");
    ASSERT_TRUE(e.ok()) << e.error().detail;
    EXPECT_EQ(e->from, "alice@example.org");
    EXPECT_EQ(e->recipients, (std::vector<std::string>{"bob@example.org", "carol@example.org", "dave@example.org"}));
    EXPECT_EQ(e->messageId, "<1@example.org>");
}

TEST(EnvelopeTest, SenderWinsOverFrom) {
    const auto e = envelopeOf("From: a@example.org, b@example.org\nSender: sec@example.org\nTo: c@example.org\n\nx\n");
    ASSERT_TRUE(e.ok()) << e.error().detail;
    EXPECT_EQ(e->from, "sec@example.org");
}

TEST(EnvelopeTest, SeveralToFieldsAndFoldedLists) {
    const auto e = envelopeOf("From: a@example.org\nTo: b@example.org,\n c@example.org\nTo: d@example.org\n\n");
    ASSERT_TRUE(e.ok()) << e.error().detail;
    EXPECT_EQ(e->recipients.size(), 3U);
}

TEST(EnvelopeTest, Errors) {
    EXPECT_EQ(envelopeOf("To: b@example.org\n\nx").error().code, base::ErrorCode::InvalidArgument); // no From
    EXPECT_EQ(envelopeOf("From: a@example.org, b@example.org\nTo: c@example.org\n\n").error().code,
              base::ErrorCode::InvalidArgument); // several From, no Sender
    EXPECT_EQ(envelopeOf("From: a@example.org\nSubject: x\n\n").error().code,
              base::ErrorCode::InvalidArgument); // no recipient
    EXPECT_EQ(envelopeOf("From: a@example.org\nTo: not an address\n\n").error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(envelopeOf("").error().code, base::ErrorCode::MalformedInput);
    EXPECT_TRUE(envelopeOf("From: a@example.org\nTo: b@example.org\nBcc:\n\n").ok()); // empty Bcc is allowed
}

TEST(EnvelopeTest, MessageIdGeneratedWithTheFromDomainAndTheMessagesLineEnding) {
    auto p = prepareForSubmission("From: a@Example.ORG\r\nTo: b@example.org\r\n\r\nbody\r\n");
    ASSERT_TRUE(p.ok()) << p.error().detail;
    EXPECT_TRUE(p->messageIdAdded);
    EXPECT_EQ(p->envelope.messageId.front(), '<');
    EXPECT_NE(p->envelope.messageId.find("@example.org>"), std::string::npos);
    EXPECT_EQ(p->raw.rfind("Message-ID: " + p->envelope.messageId + "\r\nFrom:", 0), 0U);
    EXPECT_EQ(envelopeOf(p->raw)->messageId, p->envelope.messageId);
    auto q = prepareForSubmission("From: a@example.org\nTo: b@example.org\n\nbody\n");
    ASSERT_TRUE(q.ok());
    EXPECT_NE(q->envelope.messageId, p->envelope.messageId);
    EXPECT_EQ(q->raw.find('\r'), std::string::npos);
}

TEST(EnvelopeTest, ExistingMessageIdKept) {
    const std::string m = "Message-ID: <x@y>\nFrom: a@example.org\nTo: b@example.org\n\n";
    auto p = prepareForSubmission(m);
    ASSERT_TRUE(p.ok());
    EXPECT_FALSE(p->messageIdAdded);
    EXPECT_EQ(p->raw, m);
}

TEST(SubmissionSourceTest, BccRemovedAndBareLfBecomesCrlf) {
    const std::string m = "From: a@example.org\nBcc: hidden@example.org,\n  other@example.org\nTo: b@example.org\n"
                          "bcc: again@example.org\n\nline 1\r\nline 2\n\n.dot\n";
    const std::string expected = "From: a@example.org\r\nTo: b@example.org\r\n\r\nline 1\r\nline 2\r\n\r\n.dot\r\n";
    for (const std::size_t chunk : std::array<std::size_t, 4>{1, 2, 7, 4096}) {
        SubmissionSource source(m);
        EXPECT_EQ(source.size(), expected.size());
        EXPECT_EQ(drain(source, chunk), expected) << "chunk " << chunk;
        ASSERT_TRUE(source.rewind());
        EXPECT_EQ(drain(source, chunk), expected) << "after rewind, chunk " << chunk;
    }
}

TEST(SubmissionSourceTest, CrlfMessageWithoutBccPassesUnchanged) {
    const std::string m = "From: a@example.org\r\nTo: b@example.org\r\n\r\nbody\r\n\r\n";
    SubmissionSource source(m);
    EXPECT_EQ(drain(source, 3), m);
    EXPECT_EQ(source.size(), m.size());
}

TEST(SubmissionSourceTest, BodyStartingWithBareLf) {
    SubmissionSource source("From: a@example.org\nTo: b@example.org\n\n\nafter an empty line");
    const std::string expected = "From: a@example.org\r\nTo: b@example.org\r\n\r\n\r\nafter an empty line";
    EXPECT_EQ(drain(source, 5), expected);
    EXPECT_EQ(source.size(), expected.size());
}

} // namespace
} // namespace sealpost::mail
