#include "mime/ContentType.h"

#include <gtest/gtest.h>

namespace sealpost::mime {
namespace {

TEST(ContentTypeTest, ParsesTypeSubtypeAndParameters) {
    const ContentType ct =
        ContentType::parse("Multipart/Signed; Protocol=\"application/pkcs7-signature\"; micalg=SHA-256");
    EXPECT_EQ(ct.type, "multipart");
    EXPECT_EQ(ct.subtype, "signed");
    EXPECT_EQ(ct.mimeType(), "multipart/signed");
    EXPECT_TRUE(ct.is("MULTIPART", "signed"));
    EXPECT_FALSE(ct.is("multipart", "mixed"));
    EXPECT_EQ(ct.param("protocol"), "application/pkcs7-signature");
    EXPECT_EQ(ct.param("PROTOCOL"), "application/pkcs7-signature");
    EXPECT_EQ(ct.param("micalg"), "SHA-256"); // values keep their case
    EXPECT_EQ(ct.param("absent"), "");
}

// mimetic::ContentType cuts this boundary at the ';' inside the quotes, which is why we parse
// parameters ourselves.
TEST(ContentTypeTest, SemicolonsAndEscapesInsideQuotesStayInTheValue) {
    const ContentType ct = ContentType::parse(R"(multipart/mixed; boundary="----=_Part;0_1"; name="a\"b;c"; x=y)");
    EXPECT_EQ(ct.param("boundary"), "----=_Part;0_1");
    EXPECT_EQ(ct.param("name"), "a\"b;c");
    EXPECT_EQ(ct.param("x"), "y");
}

TEST(ContentTypeTest, AcceptsFoldedRawValuesCommentsAndSpacesAroundEquals) {
    const ContentType ct =
        ContentType::parse(" multipart/mixed;\r\n boundary = \"x y\" (a comment; with semicolon)\r\n\t; a=b");
    EXPECT_EQ(ct.mimeType(), "multipart/mixed");
    EXPECT_EQ(ct.param("boundary"), "x y");
    EXPECT_EQ(ct.param("a"), "b");
}

TEST(ContentTypeTest, UnquotedValuesMayContainTspecialsSeenInRealMail) {
    const ContentType ct = ContentType::parse("multipart/alternative; boundary=----=_NextPart_000_0001");
    EXPECT_EQ(ct.param("boundary"), "----=_NextPart_000_0001");
}

TEST(ContentTypeTest, GarbageFallsBackToTextPlain) {
    for (const char* value : {"", "garbage", "text/", "/plain", "/;;;==\"", "(unterminated"}) {
        const ContentType ct = ContentType::parse(value);
        EXPECT_EQ(ct.mimeType(), "text/plain") << value;
        EXPECT_TRUE(ct.params.empty()) << value;
    }
}

TEST(ContentTypeTest, BrokenParametersAreSkippedNotFatal) {
    const ContentType ct = ContentType::parse("text/plain; junk; =novalue; charset=utf-8; name=\"unterminated");
    EXPECT_EQ(ct.param("charset"), "utf-8");
    EXPECT_EQ(ct.params.size(), 1U);
}

TEST(ContentTypeTest, FirstOccurrenceOfARepeatedParameterWins) {
    const ContentType ct = ContentType::parse("multipart/mixed; boundary=one; BOUNDARY=two");
    EXPECT_EQ(ct.param("boundary"), "one");
}

TEST(ContentTypeTest, Rfc2231ContinuationsAndExtendedValues) {
    const ContentType ct = ContentType::parse(
        "application/octet-stream; name*0=\"long \"; name*1=file.txt; title*=utf-8'en'%E2%82%AC%20rate; "
        "x*0*=us-ascii''a%41; x*1*=%42; gap*0=a; gap*2=c");
    EXPECT_EQ(ct.param("name"), "long file.txt");
    EXPECT_EQ(ct.param("title"), "\xE2\x82\xAC rate");
    EXPECT_EQ(ct.param("x"), "aAB");
    EXPECT_EQ(ct.param("gap"), "a");
}

} // namespace
} // namespace sealpost::mime
