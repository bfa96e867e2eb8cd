#include "ca/mail/SmtpChallengeMailer.h"

#include "../../../core/smime/SmimeTestSupport.h"
#include "acme/EmailChallenge.h"
#include "mime/MimeEntity.h"

#include <gtest/gtest.h>

namespace sealpost::ca::mail {
namespace {

using namespace smime::test;

// The fixtures' Alice plays the CA's mail-signing identity (rfc822Name alice@example.org).
OutgoingChallenge challenge() {
    return OutgoingChallenge{"chall-7", "bob@example.org", "abcdefghijklmnopqrstuvwx", "c7@ca.example.org", signTime()};
}

TEST(SmtpChallengeMailerTest, SignedChallengeIsRecognisedByTheClientRules) {
    auto mail = buildSignedChallenge(challenge(), "alice@example.org", loadIdentity("alice"));
    ASSERT_TRUE(mail) << mail.error().detail;
    auto top = mime::parseEntity(*mail);
    ASSERT_TRUE(top);
    EXPECT_EQ(top->contentType.mimeType(), "multipart/signed");
    EXPECT_EQ(top->headerValue("Subject"), "ACME: abcdefghijklmnopqrstuvwx");
    ASSERT_EQ(top->children.size(), 2U);
    EXPECT_EQ(top->children[0].contentType.param("hp"), "clear");

    OpenContext ctx;
    auto opened = ctx.open(*mail);
    ASSERT_TRUE(opened) << opened.error().detail;
    const auto r = acme::recognizeChallenge(*mail, opened->report, {"alice@example.org", "bob@example.org"});
    ASSERT_TRUE(r.recognised()) << acme::challengeRuleName(r.failed) << ": " << r.detail;
    EXPECT_EQ(r.tokenPart1, "abcdefghijklmnopqrstuvwx");
    EXPECT_EQ(r.messageId, "c7@ca.example.org");
}

TEST(SmtpChallengeMailerTest, SignerWhoseCertificateIsNotTheFromAddressIsNotRecognised) {
    auto mail = buildSignedChallenge(challenge(), "alice@example.org", loadIdentity("carol"));
    ASSERT_TRUE(mail);
    OpenContext ctx;
    auto opened = ctx.open(*mail);
    ASSERT_TRUE(opened);
    const auto r = acme::recognizeChallenge(*mail, opened->report, {"alice@example.org", "bob@example.org"});
    EXPECT_EQ(r.failed, acme::ChallengeRule::SignerIsFrom) << r.detail;
}

TEST(SmtpChallengeMailerTest, MalformedChallengeIsAnError) {
    auto c = challenge();
    c.tokenPart1 = "short";
    auto mail = buildSignedChallenge(c, "alice@example.org", loadIdentity("alice"));
    ASSERT_FALSE(mail);
    EXPECT_EQ(mail.error().code, base::ErrorCode::InvalidArgument);
}

} // namespace
} // namespace sealpost::ca::mail
