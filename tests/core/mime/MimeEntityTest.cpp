#include "mime/MimeEntity.h"

#include "mime/TransferEncoding.h"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace sealpost::mime {
namespace {

using base::ErrorCode;

// Replaces "\n" by "\r\n" so fixtures can be written once and parsed in both line-ending styles.
std::string crlf(std::string_view lf) {
    std::string out;
    for (const char c : lf) {
        if (c == '\n') {
            out += '\r';
        }
        out += c;
    }
    return out;
}

bool pointsInto(std::string_view view, std::string_view buffer) {
    return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

constexpr std::string_view kSignedLf = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\n"
                                       " micalg=sha-256; boundary=\"----=_Part;0_1\"\n"
                                       "MIME-Version: 1.0\n"
                                       "\n"
                                       "This is an S/MIME signed message\n"
                                       "\n"
                                       "------=_Part;0_1\n"
                                       "Content-Type: text/plain\n"
                                       "\n"
                                       "Hello\n"
                                       "\n"
                                       "------=_Part;0_1\n"
                                       "Content-Type: application/pkcs7-signature; name=smime.p7s\n"
                                       "Content-Transfer-Encoding: base64\n"
                                       "\n"
                                       "MIIB\n"
                                       "------=_Part;0_1--\n"
                                       "epilogue\n";

TEST(MimeEntityTest, SignedFirstChildRawIsByteExactAndExcludesCrlfBeforeDelimiter) {
    const std::string buffer = crlf(kSignedLf);
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    const MimeEntity& root = *parsed;
    ASSERT_TRUE(root.contentType.is("multipart", "signed"));
    ASSERT_EQ(root.children.size(), 2U);
    const MimeEntity& signedPart = root.children[0];
    // The blank line after "Hello" is the CRLF that precedes the delimiter: it is not content.
    EXPECT_EQ(signedPart.raw, "Content-Type: text/plain\r\n\r\nHello\r\n");
    EXPECT_EQ(signedPart.rawHeader, "Content-Type: text/plain\r\n");
    EXPECT_EQ(signedPart.body, "Hello\r\n");
    EXPECT_TRUE(pointsInto(signedPart.raw, buffer));
    EXPECT_EQ(std::string_view(buffer).substr(
                  static_cast<std::size_t>(signedPart.raw.data() - buffer.data()) + signedPart.raw.size(), 4),
              "\r\n--");
    EXPECT_EQ(signedPart.depth, 1);

    const MimeEntity& signature = root.children[1];
    EXPECT_TRUE(signature.contentType.is("application", "pkcs7-signature"));
    EXPECT_EQ(signature.transferEncoding, "base64");
    EXPECT_EQ(signature.body, "MIIB");
    auto decoded = decodeBody(signature);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, std::string("\x30\x82\x01", 3));

    EXPECT_TRUE(root.multipartClosed);
    EXPECT_EQ(root.preamble, "This is an S/MIME signed message\r\n");
    EXPECT_EQ(root.epilogue, "epilogue\r\n");
    EXPECT_EQ(root.raw, buffer);
    EXPECT_EQ(root.contentType.param("micalg"), "sha-256");
}

TEST(MimeEntityTest, LfOnlyInputKeepsExactRanges) {
    const std::string buffer(kSignedLf);
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    ASSERT_EQ(parsed->children.size(), 2U);
    EXPECT_EQ(parsed->children[0].raw, "Content-Type: text/plain\n\nHello\n");
    EXPECT_EQ(parsed->children[1].body, "MIIB");
    EXPECT_EQ(parsed->preamble, "This is an S/MIME signed message\n");
    EXPECT_EQ(parsed->epilogue, "epilogue\n");
    EXPECT_EQ(parsed->rawHeader.substr(0, 13), "Content-Type:");
    EXPECT_EQ(parsed->body.substr(0, 4), "This");
}

TEST(MimeEntityTest, PreambleAndEpilogueAreEmptyWhenAbsent) {
    const std::string buffer = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart\n--b--");
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->preamble.empty());
    EXPECT_TRUE(parsed->epilogue.empty());
    EXPECT_TRUE(parsed->multipartClosed);
    ASSERT_EQ(parsed->children.size(), 1U);
    EXPECT_EQ(parsed->children[0].raw, "\r\npart");
    EXPECT_TRUE(parsed->children[0].headers.empty());
    EXPECT_EQ(parsed->children[0].body, "part");
    EXPECT_TRUE(parsed->children[0].contentType.is("text", "plain"));
}

TEST(MimeEntityTest, MissingClosingDelimiterKeepsLastPartToTheEnd) {
    const std::string buffer = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n");
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    EXPECT_FALSE(parsed->multipartClosed);
    ASSERT_EQ(parsed->children.size(), 2U);
    EXPECT_EQ(parsed->children[0].body, "one");
    EXPECT_EQ(parsed->children[1].body, "two\r\n");
    EXPECT_TRUE(parsed->epilogue.empty());
}

TEST(MimeEntityTest, MultipartWithoutAnyDelimiterHasNoChildren) {
    const std::string buffer = "Content-Type: multipart/mixed; boundary=b\r\n\r\njust text\r\n--bb\r\n";
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->children.empty());
    EXPECT_FALSE(parsed->multipartClosed);
    EXPECT_EQ(parsed->preamble, parsed->body);
}

TEST(MimeEntityTest, MissingBoundaryParameterIsMalformed) {
    auto parsed = parseEntity("Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::MalformedInput);
    EXPECT_NE(parsed.error().detail.find("boundary"), std::string::npos);
}

TEST(MimeEntityTest, NestedMultipartsWithPrefixBoundaries) {
    // The inner boundary starts with the outer one: "--b1" must not be taken for "--b".
    const std::string buffer = crlf("Content-Type: multipart/mixed; boundary=b\n"
                                    "\n"
                                    "--b\n"
                                    "Content-Type: multipart/alternative; boundary=b1\n"
                                    "\n"
                                    "--b1\n"
                                    "Content-Type: text/plain\n"
                                    "\n"
                                    "plain\n"
                                    "--b1\n"
                                    "Content-Type: text/html\n"
                                    "\n"
                                    "<p>html</p>\n"
                                    "--b1--\n"
                                    "--b\n"
                                    "Content-Type: application/octet-stream\n"
                                    "Content-Transfer-Encoding: BASE64 (comment)\n"
                                    "\n"
                                    "AAEC\n"
                                    "--b--\n");
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    ASSERT_EQ(parsed->children.size(), 2U);
    const MimeEntity& alternative = parsed->children[0];
    EXPECT_TRUE(alternative.isMultipart());
    EXPECT_EQ(alternative.depth, 1);
    ASSERT_EQ(alternative.children.size(), 2U);
    EXPECT_EQ(alternative.children[0].body, "plain");
    EXPECT_EQ(alternative.children[1].body, "<p>html</p>");
    EXPECT_EQ(alternative.children[1].depth, 2);
    EXPECT_TRUE(alternative.multipartClosed);
    EXPECT_TRUE(alternative.epilogue.empty());
    const MimeEntity& attachment = parsed->children[1];
    EXPECT_EQ(attachment.transferEncoding, "base64");
    auto decoded = decodeBody(attachment);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, std::string("\x00\x01\x02", 3));
}

TEST(MimeEntityTest, DelimiterMayCarryTrailingWhitespaceAndPartsMayBeEmpty) {
    const std::string buffer = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n--b\nX: 1\n\nx\n--b-- \n");
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->children.size(), 2U);
    EXPECT_TRUE(parsed->children[0].raw.empty());
    EXPECT_EQ(parsed->children[1].headerValue("x"), "1");
    EXPECT_TRUE(parsed->multipartClosed);
}

std::string nestedMultiparts(int levels) {
    std::string open;
    std::string close;
    for (int i = levels - 1; i >= 0; --i) {
        close.append("\r\n--b").append(std::to_string(i)).append("--\r\n");
    }
    for (int i = 0; i < levels; ++i) {
        const std::string boundary = "b" + std::to_string(i);
        open.append("Content-Type: multipart/mixed; boundary=").append(boundary);
        open.append("\r\n\r\n--").append(boundary).append("\r\n");
    }
    return open.append("\r\nleaf").append(close);
}

TEST(MimeEntityTest, ThousandDeepNestingFailsWithLimitExceeded) {
    const std::string buffer = nestedMultiparts(1000);
    auto parsed = parseEntity(buffer);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::LimitExceeded);
    EXPECT_NE(parsed.error().detail.find("maxDepth"), std::string::npos);
}

TEST(MimeEntityTest, ThousandDeepNestingParsesWhenTheLimitIsRaised) {
    // Recursion is bounded by maxDepth; this guards the cost of one level (stack and time).
    const std::string buffer = nestedMultiparts(1000);
    ParseLimits limits;
    limits.maxDepth = 1000;
    auto parsed = parseEntity(buffer, limits);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    const MimeEntity* entity = &*parsed;
    while (!entity->children.empty()) {
        entity = &entity->children.front();
    }
    EXPECT_EQ(entity->depth, 1000);
    EXPECT_EQ(entity->body, "leaf");
}

TEST(MimeEntityTest, NestingUpToTheLimitIsAccepted) {
    const std::string buffer = nestedMultiparts(3);
    ParseLimits limits;
    limits.maxDepth = 3;
    auto parsed = parseEntity(buffer, limits);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    const MimeEntity* entity = &*parsed;
    while (!entity->children.empty()) {
        entity = &entity->children.front();
    }
    EXPECT_EQ(entity->depth, 3);
    EXPECT_EQ(entity->body, "leaf");
    limits.maxDepth = 2;
    auto rejected = parseEntity(buffer, limits);
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().code, ErrorCode::LimitExceeded);
}

TEST(MimeEntityTest, HundredMegabyteHeaderFailsWithLimitExceeded) {
    std::string buffer = "Subject: ";
    buffer.append(100U << 20, 'a');
    buffer += "\r\n\r\nbody";
    auto parsed = parseEntity(buffer);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::LimitExceeded);
    EXPECT_NE(parsed.error().detail.find("maxHeaderBytes"), std::string::npos);
}

TEST(MimeEntityTest, ManyShortHeaderLinesHitTheByteLimit) {
    std::string buffer;
    for (int i = 0; i < 200; ++i) {
        buffer += "X-A: 1\r\n";
    }
    buffer += "\r\n";
    ParseLimits limits;
    limits.maxHeaderBytes = 100;
    auto parsed = parseEntity(buffer, limits);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::LimitExceeded);
    limits.maxHeaderBytes = 1600; // exactly the header block
    EXPECT_TRUE(parseEntity(buffer, limits).ok());
}

TEST(MimeEntityTest, FieldAndPartLimits) {
    ParseLimits limits;
    limits.maxHeaderFields = 2;
    auto tooManyFields = parseEntity("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
    ASSERT_FALSE(tooManyFields.ok());
    EXPECT_NE(tooManyFields.error().detail.find("maxHeaderFields"), std::string::npos);

    limits = {};
    limits.maxParts = 2;
    auto tooManyParts =
        parseEntity("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--", limits);
    ASSERT_FALSE(tooManyParts.ok());
    EXPECT_EQ(tooManyParts.error().code, ErrorCode::LimitExceeded);
    EXPECT_NE(tooManyParts.error().detail.find("maxParts"), std::string::npos);
}

TEST(MimeEntityTest, FoldedHeadersKeepRawAndUnfoldValue) {
    const std::string buffer = "Subject: hello\r\n world\r\n\tagain \r\nTo: a@b.c\r\n\r\n";
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->headers.size(), 2U);
    EXPECT_EQ(parsed->headers[0].rawValue, " hello\r\n world\r\n\tagain ");
    EXPECT_EQ(parsed->headers[0].value(), "hello world\tagain");
    EXPECT_EQ(parsed->rawHeader, "Subject: hello\r\n world\r\n\tagain \r\nTo: a@b.c\r\n");
    EXPECT_TRUE(parsed->body.empty());
}

TEST(MimeEntityTest, HeaderLookupIsCaseInsensitiveAndFirstMatchWins) {
    auto parsed = parseEntity("content-TYPE: Text/HTML; Charset=UTF-8\r\nX-Dup: first\r\nx-dup: second\r\n\r\nbody");
    ASSERT_TRUE(parsed.ok());
    ASSERT_NE(parsed->header("Content-Type"), nullptr);
    EXPECT_EQ(parsed->header("CONTENT-type")->name, "content-TYPE");
    EXPECT_EQ(parsed->headerValue("x-DUP"), "first");
    EXPECT_EQ(parsed->header("Missing"), nullptr);
    EXPECT_EQ(parsed->headerValue("Missing"), "");
    EXPECT_EQ(parsed->contentType.mimeType(), "text/html");
    EXPECT_EQ(parsed->contentType.param("charset"), "UTF-8");
    EXPECT_EQ(parsed->body, "body");
}

TEST(MimeEntityTest, HeaderWithoutBlankLineHasEmptyBody) {
    const std::string buffer = "Subject: x\r\nFrom: y";
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->headers.size(), 2U);
    EXPECT_EQ(parsed->headerValue("From"), "y");
    EXPECT_EQ(parsed->rawHeader, buffer);
    EXPECT_TRUE(parsed->body.empty());
}

TEST(MimeEntityTest, LineWithoutColonStartsTheBody) {
    const std::string buffer = "Subject: x\nthis is not a header\nNor: this\n";
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->headers.size(), 1U);
    EXPECT_EQ(parsed->rawHeader, "Subject: x\n");
    EXPECT_EQ(parsed->body, "this is not a header\nNor: this\n");
}

TEST(MimeEntityTest, WhitespaceBeforeColonIsAcceptedAndTrimmedFromTheName) {
    auto parsed = parseEntity("Subject : hi\r\n\r\n");
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->headers.size(), 1U);
    EXPECT_EQ(parsed->headers[0].name, "Subject");
    EXPECT_EQ(parsed->headerValue("subject"), "hi");
}

TEST(MimeEntityTest, EmptyInputIsAnEmptyTextEntity) {
    auto parsed = parseEntity("");
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->headers.empty());
    EXPECT_TRUE(parsed->body.empty());
    EXPECT_EQ(parsed->contentType.mimeType(), "text/plain");
    EXPECT_EQ(parsed->transferEncoding, "7bit");
}

TEST(MimeEntityTest, MessageRfc822IsALeaf) {
    const std::string buffer = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                                    "Content-Type: message/rfc822\n\n"
                                    "Content-Type: multipart/mixed; boundary=c\n\n--c\n\ninner\n--c--\n"
                                    "--b--\n");
    auto parsed = parseEntity(buffer);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->children.size(), 1U);
    EXPECT_TRUE(parsed->children[0].contentType.is("message", "rfc822"));
    EXPECT_TRUE(parsed->children[0].children.empty());
}

TEST(MimeEntityTest, DigestPartsDefaultToMessageRfc822) {
    auto parsed = parseEntity("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n--d--\r\n");
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->children.size(), 1U);
    EXPECT_EQ(parsed->children[0].contentType.mimeType(), "message/rfc822");
}

TEST(MimeEntityTest, UnknownTransferEncodingIsUnsupportedWhenDecoding) {
    auto parsed = parseEntity("Content-Transfer-Encoding: x-uuencode\r\n\r\nbody");
    ASSERT_TRUE(parsed.ok());
    auto decoded = decodeBody(*parsed);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, ErrorCode::Unsupported);
}

} // namespace
} // namespace sealpost::mime
