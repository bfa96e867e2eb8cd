// How protectMessage() makes content canonical before signing (RFC 8551 3.1): what survives
// and what is re-encoded.
#include "SmimeTestSupport.h"
#include "smime/MessageProtector.h"

#include <gtest/gtest.h>

using namespace sealpost;

namespace {

std::string signDetached(const std::string& message) {
    smime::ProtectRequest request;
    request.sign = smime::SignStep{smime::test::loadIdentity("alice"), smime::SignatureForm::Detached,
                                   crypto::DigestAlgorithm::Sha256, std::nullopt};
    request.now = smime::test::signTime();
    std::string out;
    base::StringSink sink(out);
    auto done = smime::protectMessage(message, request, sink);
    EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().detail);
    return out;
}

} // namespace

TEST(MessageProtectorCanonicalTest, RewrittenMultipartKeepsItsEpilogue) {
    const std::string message = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                                "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xC3\xA9\r\n"
                                "--b--\r\nthe epilogue\r\n";
    const std::string out = signDetached(message);
    EXPECT_NE(out.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
    EXPECT_NE(out.find("caf=C3=A9"), std::string::npos);
    EXPECT_NE(out.find("the epilogue"), std::string::npos);
}

TEST(MessageProtectorCanonicalTest, EightBitEmbeddedMessageIsCanonicalisedInsideNotBase64) {
    const std::string message =
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: c@example.org\r\nSubject: inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "gr\xC3\xBC\xC3\x9F\x65\r\n--b--\r\n";
    const std::string out = signDetached(message);
    const auto part = out.find("Content-Type: message/rfc822");
    ASSERT_NE(part, std::string::npos);
    const std::string rest = out.substr(part, 200);
    EXPECT_EQ(rest.find("Content-Transfer-Encoding: base64"), std::string::npos) << rest;
    EXPECT_NE(rest.find("Subject: inner"), std::string::npos) << rest;
    EXPECT_NE(out.find("gr=C3=BC=C3=9Fe"), std::string::npos);
}

TEST(MessageProtectorCanonicalTest, SevenBitCrlfBodyIsSignedAsIs) {
    const std::string body = "line one\r\nline two\r\n";
    const std::string out = signDetached("From: a@example.org\r\nContent-Type: text/plain\r\n\r\n" + body);
    EXPECT_NE(out.find("Content-Type: text/plain\r\n\r\n" + body + "\r\n--"), std::string::npos);
}
