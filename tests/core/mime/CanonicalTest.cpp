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
