#include "mime/Canonical.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::mime {
namespace {

TEST(CanonicalTest, ToCrlfConvertsLoneLineBreaksOnly) {
    EXPECT_EQ(toCrlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
    EXPECT_EQ(toCrlf("\n\n"), "\r\n\r\n");
    EXPECT_EQ(toCrlf("\r\r\n"), "\r\n\r\n");
    EXPECT_EQ(toCrlf("\n\r"), "\r\n\r\n");
    EXPECT_EQ(toCrlf(""), "");
    EXPECT_EQ(toCrlf("no breaks"), "no breaks");
}

TEST(CanonicalTest, IsCrlfCanonical) {
    EXPECT_TRUE(isCrlfCanonical(""));
    EXPECT_TRUE(isCrlfCanonical("a\r\nb\r\n"));
    EXPECT_FALSE(isCrlfCanonical("a\nb"));
    EXPECT_FALSE(isCrlfCanonical("a\rb"));
    EXPECT_FALSE(isCrlfCanonical("a\r"));
    EXPECT_FALSE(isCrlfCanonical("\n"));
    EXPECT_TRUE(isCrlfCanonical(toCrlf("x\ny\rz\r\n")));
}

TEST(CanonicalTest, IsSevenBitSafe) {
    EXPECT_TRUE(isSevenBitSafe("plain ascii\r\n"));
    EXPECT_FALSE(isSevenBitSafe("caf\xC3\xA9"));
    EXPECT_FALSE(isSevenBitSafe(std::string("a\0b", 3)));
    const std::string longest(998, 'x');
    EXPECT_TRUE(isSevenBitSafe(longest + "\r\n" + longest));
    EXPECT_TRUE(isSevenBitSafe(longest + "\n" + longest));
    EXPECT_FALSE(isSevenBitSafe(longest + "x"));
    EXPECT_FALSE(isSevenBitSafe("a\r\n" + longest + "xy\r\n"));
}

} // namespace
} // namespace sealpost::mime

TEST(CanonicalTest, AnalyzeTextFindsBothPropertiesInOnePass) {
    using sealpost::mime::analyzeText;
    EXPECT_TRUE(analyzeText("a\r\nb\r\n").crlfCanonical);
    EXPECT_TRUE(analyzeText("a\r\nb\r\n").sevenBitSafe);
    EXPECT_FALSE(analyzeText("a\nb").crlfCanonical);
    EXPECT_FALSE(analyzeText("a\rb").crlfCanonical);
    EXPECT_FALSE(analyzeText("ab\r").crlfCanonical);
    EXPECT_TRUE(analyzeText("a\nb").sevenBitSafe);
    // 8-bit and NUL octets at every position of an 8-octet word, and in the tail.
    for (std::size_t pos = 0; pos < 19; ++pos) {
        std::string high(19, 'x');
        high[pos] = static_cast<char>(0xC3);
        EXPECT_FALSE(analyzeText(high).sevenBitSafe) << pos;
        EXPECT_TRUE(analyzeText(high).crlfCanonical) << pos;
        std::string nul(19, 'x');
        nul[pos] = '\0';
        EXPECT_FALSE(analyzeText(nul).sevenBitSafe) << pos;
    }
    EXPECT_TRUE(analyzeText(std::string(998, 'x') + "\r\n").sevenBitSafe);
    EXPECT_FALSE(analyzeText(std::string(999, 'x') + "\r\n").sevenBitSafe);
    EXPECT_FALSE(analyzeText("ok\r\n" + std::string(999, 'x')).sevenBitSafe); // last line, no break
    const auto both = analyzeText("caf\xC3\xA9\n");
    EXPECT_FALSE(both.sevenBitSafe);
    EXPECT_FALSE(both.crlfCanonical);
}
