#include "acme/EmailChallenge.h"

#include "../smime/SmimeTestSupport.h"
#include "crypto/Jose.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageProtector.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::acme {
namespace {

using namespace smime::test;

constexpr std::string_view kToken1 = "AAAAAAAAAAAAAAAAAAAAAAAA";
constexpr std::string_view kToken2 = "_-_-_-_-_-_-_-_-_-_-_-_-";
constexpr std::string_view kCaFrom = "alice@example.org"; // the fixtures' Alice plays the CA's mail signer
constexpr std::string_view kEnrolled = "bob@example.org";

std::string replaceFirst(std::string s, std::string_view from, std::string_view to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) {
        s.replace(at, from.size(), to);
    }
    return s;
}

ChallengeMailFields challengeFields() {
    return ChallengeMailFields{std::string(kCaFrom), std::string(kEnrolled), std::string(kToken1),
                               "chall-1@ca.example.org", signTime()};
}

std::string challengeText() {
    auto mail = buildChallengeMail(challengeFields());
    EXPECT_TRUE(mail) << (mail ? "" : mail.error().detail);
    return mail ? *mail : std::string();
}

class RecognizeChallengeTest : public ::testing::Test {
protected:
    OpenContext ctx;

    static std::string sign(std::string_view mail, const std::string& who = "alice", bool protectHeaders = true) {
        smime::ProtectRequest req;
        req.sign = smime::SignStep{loadIdentity(who), smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256,
                                   std::nullopt};
        req.now = signTime();
        req.protectHeaders = protectHeaders;
        std::string out;
        base::StringSink sink(out);
        auto done = smime::protectMessage(mail, req, sink);
        EXPECT_TRUE(done) << (done ? "" : done.error().detail);
        return out;
    }

    [[nodiscard]] ChallengeRecognition recognize(const std::string& message, std::string_view from = kCaFrom,
                                                 std::string_view enrolled = kEnrolled) const {
        auto opened = ctx.open(message);
        EXPECT_TRUE(opened) << (opened ? "" : opened.error().detail);
        if (!opened) {
            return {};
        }
        return recognizeChallenge(message, opened->report, ChallengeExpectation{from, enrolled});
    }

    void expectRule(const ChallengeRecognition& r, ChallengeRule rule) const {
        EXPECT_EQ(challengeRuleName(r.failed), challengeRuleName(rule)) << r.detail;
        EXPECT_FALSE(r.recognised());
        EXPECT_TRUE(r.tokenPart1.empty());
    }
};

TEST(EmailChallengeTest, TokenPartIs24Base64UrlCharacters) {
    EXPECT_TRUE(isTokenPart(kToken1));
    EXPECT_TRUE(isTokenPart(kToken2));
    EXPECT_FALSE(isTokenPart("AAAAAAAAAAAAAAAAAAAAAAA"));
    EXPECT_FALSE(isTokenPart("AAAAAAAAAAAAAAAAAAAAAAAAA"));
    EXPECT_FALSE(isTokenPart("AAAAAAAAAAAAAAAAAAAAAAA="));
    EXPECT_FALSE(isTokenPart("AAAAAAAAAAAAAAAAAAAAAAA+"));
}

TEST(EmailChallengeTest, ChallengeMailHasTheContractsHeader) {
    const std::string mail = challengeText();
    EXPECT_EQ(mail.substr(0, mail.find("\r\n\r\n") + 2), "From: alice@example.org\r\n"
                                                         "To: bob@example.org\r\n"
                                                         "Subject: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n"
                                                         "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
                                                         "Message-ID: <chall-1@ca.example.org>\r\n"
                                                         "Auto-Submitted: auto-generated; type=acme\r\n"
                                                         "MIME-Version: 1.0\r\n"
                                                         "Content-Type: text/plain; charset=us-ascii\r\n"
                                                         "Content-Transfer-Encoding: 7bit\r\n");
    EXPECT_NE(mail.find("bob@example.org\r\nbelongs to"), std::string::npos);
    for (char c : mail) {
        ASSERT_LT(static_cast<unsigned char>(c), 128);
    }
}

TEST(EmailChallengeTest, ChallengeMailRejectsMalformedFields) {
    auto f = challengeFields();
    f.to = "bob@example.org\r\nBcc: eve@example.org";
    EXPECT_EQ(buildChallengeMail(f).error().code, base::ErrorCode::InvalidArgument);
    f = challengeFields();
    f.from = "Alice <alice@example.org>";
    EXPECT_FALSE(buildChallengeMail(f));
    f = challengeFields();
    f.tokenPart1 = "short";
    EXPECT_FALSE(buildChallengeMail(f));
    f = challengeFields();
    f.messageId = "<x@y>";
    EXPECT_FALSE(buildChallengeMail(f));
}

TEST_F(RecognizeChallengeTest, SignedChallengeIsRecognised) {
    const auto r = recognize(sign(challengeText()));
    ASSERT_TRUE(r.recognised()) << challengeRuleName(r.failed) << ": " << r.detail;
    EXPECT_EQ(r.tokenPart1, kToken1);
    EXPECT_EQ(r.messageId, "chall-1@ca.example.org");
}

TEST_F(RecognizeChallengeTest, FoldedSubjectAndAddressCaseAreIgnored) {
    const std::string mail = replaceFirst(challengeText(), "Subject: ACME: ", "Subject: ACME:\r\n   ");
    const auto r = recognize(sign(mail), "Alice@EXAMPLE.org", "bob@Example.ORG");
    ASSERT_TRUE(r.recognised()) << challengeRuleName(r.failed) << ": " << r.detail;
    EXPECT_EQ(r.tokenPart1, kToken1);
}

TEST_F(RecognizeChallengeTest, UnsignedMailIsRejected) {
    OpenContext plain;
    const std::string mail = challengeText();
    auto opened = plain.open(mail);
    ASSERT_TRUE(opened);
    expectRule(recognizeChallenge(mail, opened->report, {kCaFrom, kEnrolled}), ChallengeRule::SignatureValid);
}

TEST_F(RecognizeChallengeTest, TamperedBodyIsRejected) {
    const std::string mail = replaceFirst(sign(challengeText()), "nothing to do", "nothing to dO");
    expectRule(recognize(mail), ChallengeRule::SignatureValid);
}

TEST_F(RecognizeChallengeTest, SignerOutsideTheConfiguredRootIsRejected) {
    const std::string mail = replaceFirst(challengeText(), "From: alice@example.org", "From: dave@example.org");
    expectRule(recognize(sign(mail, "dave-untrusted"), "dave@example.org"), ChallengeRule::SignatureValid);
}

TEST_F(RecognizeChallengeTest, WrongSignerIsRejected) {
    // Carol (same CA) signs a mail claiming to come from the CA's address.
    expectRule(recognize(sign(challengeText(), "carol")), ChallengeRule::SignerIsFrom);
}

TEST_F(RecognizeChallengeTest, FromOtherThanTheChallengesFromIsRejected) {
    // Correctly signed by Carol as Carol, but the challenge object names Alice's address.
    const std::string mail = replaceFirst(challengeText(), "From: alice@example.org", "From: carol@example.org");
    expectRule(recognize(sign(mail, "carol")), ChallengeRule::FromIsChallengeFrom);
    // And the other way round: Alice's mail when the challenge says another sender.
    expectRule(recognize(sign(challengeText()), "acme@ca.example.org"), ChallengeRule::FromIsChallengeFrom);
}

TEST_F(RecognizeChallengeTest, WithoutHeaderProtectionIsRejected) {
    expectRule(recognize(sign(challengeText(), "alice", false)), ChallengeRule::HeadersProtected);
}

TEST_F(RecognizeChallengeTest, MissingOrWrongAutoSubmittedIsRejected) {
    const std::string without = replaceFirst(challengeText(), "Auto-Submitted: auto-generated; type=acme\r\n", "");
    expectRule(recognize(sign(without)), ChallengeRule::AutoSubmitted);
    const std::string other = replaceFirst(challengeText(), "type=acme", "type=other");
    expectRule(recognize(sign(other)), ChallengeRule::AutoSubmitted);
    const std::string no = replaceFirst(challengeText(), "auto-generated; type=acme", "no; type=acme");
    expectRule(recognize(sign(no)), ChallengeRule::AutoSubmitted);
}

TEST_F(RecognizeChallengeTest, WrongTokenLengthIsRejected) {
    const std::string mail = replaceFirst(challengeText(), std::string(kToken1), std::string(kToken1) + "A");
    expectRule(recognize(sign(mail)), ChallengeRule::TokenPart1);
    const std::string padded = replaceFirst(challengeText(), std::string(kToken1), "AAAAAAAAAAAAAAAAAAAAAA==");
    expectRule(recognize(sign(padded)), ChallengeRule::TokenPart1);
}

TEST_F(RecognizeChallengeTest, OtherSubjectIsRejected) {
    const std::string mail = replaceFirst(challengeText(), "Subject: ACME: ", "Subject: Hello ");
    expectRule(recognize(sign(mail)), ChallengeRule::Subject);
}

TEST_F(RecognizeChallengeTest, OuterSubjectDifferingFromProtectedIsRejected) {
    const std::string signedMail = sign(challengeText());
    // Only the outer (unsigned) Subject is changed: the signature still verifies.
    const std::string forged =
        replaceFirst(signedMail, "Subject: ACME: " + std::string(kToken1), "Subject: ACME: BBBBBBBBBBBBBBBBBBBBBBBB");
    auto opened = ctx.open(forged);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->report.signature, smime::SignatureState::Valid);
    expectRule(recognizeChallenge(forged, opened->report, {kCaFrom, kEnrolled}), ChallengeRule::OuterHeadersMatch);
}

TEST_F(RecognizeChallengeTest, OuterToDifferingFromProtectedIsRejected) {
    const std::string forged = replaceFirst(sign(challengeText()), "To: bob@example.org", "To: eve@example.org");
    expectRule(recognize(forged, kCaFrom, "eve@example.org"), ChallengeRule::OuterHeadersMatch);
}

TEST_F(RecognizeChallengeTest, ToOtherThanTheEnrolledAddressIsRejected) {
    expectRule(recognize(sign(challengeText()), kCaFrom, "carol@example.org"), ChallengeRule::To);
    const std::string two =
        replaceFirst(challengeText(), "To: bob@example.org", "To: bob@example.org, eve@example.org");
    expectRule(recognize(sign(two)), ChallengeRule::To);
}

TEST(EmailChallengeTest, ResponseIsBase64UrlOfSha256OfKeyAuthorization) {
    // The RFC 7638 example key, whose thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs;
    // the expected value was computed with `openssl dgst -sha256 -binary | basenc --base64url`.
    auto key = crypto::parseJwk(
        R"({"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_)"
        R"(BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h)"
        R"(ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"})");
    ASSERT_TRUE(key) << key.error().detail;
    auto response = challengeResponse(kToken1, kToken2, *key);
    ASSERT_TRUE(response) << response.error().detail;
    EXPECT_EQ(*response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");
    EXPECT_EQ(challengeResponse(kToken1, "short", *key).error().code, base::ErrorCode::InvalidArgument);
    EXPECT_FALSE(challengeResponse("AAAAAAAAAAAAAAAAAAAAAAA=", kToken2, *key));
}

ReplyFields replyFields() {
    return ReplyFields{std::string(kEnrolled),
                       std::string(kCaFrom),
                       std::string(kToken1),
                       "chall-1@ca.example.org",
                       "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA",
                       signTime(),
                       "reply-1@example.org"};
}

TEST(EmailChallengeTest, ReplyHasExactlyTheContractsFields) {
    auto mail = buildReplyMail(replyFields());
    ASSERT_TRUE(mail) << mail.error().detail;
    EXPECT_EQ(*mail, "From: bob@example.org\r\n"
                     "To: alice@example.org\r\n"
                     "Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n"
                     "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
                     "Message-ID: <reply-1@example.org>\r\n"
                     "In-Reply-To: <chall-1@ca.example.org>\r\n"
                     "References: <chall-1@ca.example.org>\r\n"
                     "Auto-Submitted: auto-replied; type=acme\r\n"
                     "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=us-ascii\r\n"
                     "Content-Transfer-Encoding: 7bit\r\n"
                     "\r\n"
                     "-----BEGIN ACME RESPONSE-----\r\n"
                     "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA\r\n"
                     "-----END ACME RESPONSE-----\r\n");
    auto f = replyFields();
    f.messageId.clear();
    auto without = buildReplyMail(f);
    ASSERT_TRUE(without);
    EXPECT_EQ(without->find("Message-ID:"), std::string::npos);
}

TEST(EmailChallengeTest, ReplyRejectsMalformedFields) {
    auto f = replyFields();
    f.from = "bob@example.org, eve@example.org";
    EXPECT_EQ(buildReplyMail(f).error().code, base::ErrorCode::InvalidArgument);
    f = replyFields();
    f.challengeMessageId = "x\r\nBcc: eve@example.org";
    EXPECT_FALSE(buildReplyMail(f));
    f = replyFields();
    f.response = "not base64url!";
    EXPECT_FALSE(buildReplyMail(f));
    f = replyFields();
    f.tokenPart1 = "";
    EXPECT_FALSE(buildReplyMail(f));
}

TEST(EmailChallengeTest, ParsesTheReplyItBuilds) {
    auto mail = buildReplyMail(replyFields());
    ASSERT_TRUE(mail);
    auto reply = parseReply(*mail);
    ASSERT_TRUE(reply) << reply.error().detail;
    EXPECT_EQ(reply->tokenPart1, kToken1);
    EXPECT_EQ(reply->fromAddress, "bob@example.org");
    EXPECT_EQ(reply->response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");
    EXPECT_EQ(reply->messageId, "reply-1@example.org");
    EXPECT_EQ(reply->inReplyTo, "chall-1@ca.example.org");
}

std::string replyWith(std::string_view header, std::string_view body) {
    return "From: Bob <bob@Example.ORG>\r\nTo: alice@example.org\r\n" + std::string(header) + "\r\n" +
           std::string(body);
}

constexpr std::string_view kPlainBody = "-----BEGIN ACME RESPONSE-----\r\n"
                                        "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA\r\n"
                                        "-----END ACME RESPONSE-----\r\n";

TEST(EmailChallengeTest, ReplySubjectPrefixesAndFoldingAreIgnored) {
    for (std::string_view subject :
         {"Subject: Re: Re: RE:re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA",
          "Subject: Re:\r\n ACME:\r\n\tAAAAAAAAAAAA\r\n AAAAAAAAAAAA", "Subject: ACME: AAAAAAAAAAAAAAAAAAAAAAAA"}) {
        auto reply = parseReply(replyWith(std::string(subject) + "\r\n", kPlainBody));
        ASSERT_TRUE(reply) << subject << ": " << reply.error().detail;
        EXPECT_EQ(reply->tokenPart1, kToken1) << subject;
        EXPECT_EQ(reply->fromAddress, "bob@example.org");
        EXPECT_EQ(reply->messageId, "");
    }
}

TEST(EmailChallengeTest, ReplyBodyInQuotedPrintableAndBase64) {
    const std::string qp = "Content-Type: text/plain; charset=us-ascii\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n";
    auto reply =
        parseReply(replyWith("Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n" + qp,
                             "-----BEGIN ACME RESPONSE-----\r\n96xX-QbAMO2uGv9ROPOo=\r\n880E8kQZpP8iS=2DzZn848ttA\r\n"
                             "-----END ACME RESPONSE-----=\r\n\r\n"));
    ASSERT_TRUE(reply) << reply.error().detail;
    EXPECT_EQ(reply->response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");

    const std::string b64 = "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n";
    auto encoded = parseReply(replyWith("Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n" + b64,
                                        mime::encodeBase64(base::asBytes(kPlainBody))));
    ASSERT_TRUE(encoded) << encoded.error().detail;
    EXPECT_EQ(encoded->response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");
}

TEST(EmailChallengeTest, ReplyResponseInsideMultipart) {
    const std::string alternative = "Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n"
                                    "Content-Type: multipart/mixed; boundary=outer\r\n";
    const std::string body =
        "--outer\r\n"
        "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/html\r\n\r\n<p>-----BEGIN ACME RESPONSE-----wrong</p>\r\n"
        "--inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Thanks.\r\n\r\n" +
        std::string(kPlainBody) +
        "--inner--\r\n"
        "--outer\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n"
        "--outer--\r\n";
    auto reply = parseReply(replyWith(alternative, body));
    ASSERT_TRUE(reply) << reply.error().detail;
    EXPECT_EQ(reply->response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");
}

TEST(EmailChallengeTest, ReplyInsideAnSmimeSignature) {
    // A mail program that signs everything wraps the reply in multipart/signed.
    auto mail = buildReplyMail(replyFields());
    ASSERT_TRUE(mail);
    smime::ProtectRequest req;
    req.sign = smime::SignStep{loadIdentity("bob"), smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256,
                               std::nullopt};
    req.now = signTime();
    std::string signedReply;
    base::StringSink sink(signedReply);
    ASSERT_TRUE(smime::protectMessage(*mail, req, sink));
    auto reply = parseReply(signedReply);
    ASSERT_TRUE(reply) << reply.error().detail;
    EXPECT_EQ(reply->response, "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA");
    EXPECT_EQ(reply->tokenPart1, kToken1);
}

void expectMalformed(const std::string& message, std::string_view why) {
    auto reply = parseReply(message);
    ASSERT_FALSE(reply) << why;
    EXPECT_EQ(reply.error().code, base::ErrorCode::MalformedInput) << why;
    EXPECT_FALSE(reply.error().detail.empty());
}

TEST(EmailChallengeTest, MalformedRepliesAreRejected) {
    const std::string subject = "Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n";
    expectMalformed(replyWith(subject, "-----BEGIN ACME RESPONSE-----\r\nabc\r\n"), "no end marker");
    expectMalformed(replyWith(subject, "abc\r\n-----END ACME RESPONSE-----\r\n"), "no begin marker");
    expectMalformed(replyWith(subject, "-----BEGIN ACME RESPONSE-----\r\n-----END ACME RESPONSE-----\r\n"),
                    "empty response");
    expectMalformed(replyWith(subject, "-----BEGIN ACME RESPONSE-----\r\n> abc\r\n-----END ACME RESPONSE-----\r\n"),
                    "not base64url");
    expectMalformed(replyWith("Subject: Re: Hello\r\n", kPlainBody), "not an ACME subject");
    expectMalformed(replyWith("Subject: Re: ACME: AAAA\r\n", kPlainBody), "short token");
    expectMalformed(replyWith("", kPlainBody), "no subject");
    expectMalformed(replyWith(subject + "Content-Type: text/html\r\n", kPlainBody), "no text/plain part");
    expectMalformed("From: bob@example.org, eve@example.org\r\n" + subject + "\r\n" + std::string(kPlainBody),
                    "two From addresses");
    expectMalformed("From: bob@example.org\r\nFrom: eve@example.org\r\n" + subject + "\r\n" + std::string(kPlainBody),
                    "two From fields");
    expectMalformed(subject + "\r\n" + std::string(kPlainBody), "no From");
    expectMalformed(replyWith(subject + "Content-Transfer-Encoding: base64\r\n", "!!!!\r\n"), "bad base64");
}

} // namespace
} // namespace sealpost::acme
