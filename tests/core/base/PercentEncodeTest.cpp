#include "base/PercentEncode.h"

#include <gtest/gtest.h>

namespace sealpost::base {
namespace {

TEST(PercentEncode, KeepsLettersDigitsAndTheGivenCharacters) {
    EXPECT_EQ(percentEncode("Az09-._~", "-._~"), "Az09-._~");
    EXPECT_EQ(percentEncode("a@b.example", "-._~"), "a%40b.example");
    EXPECT_EQ(percentEncode("a@b.example", "-._~@"), "a@b.example");
    EXPECT_EQ(percentEncode("", "-"), "");
}

TEST(PercentEncode, EncodesEveryOtherByteInUpperCaseHex) {
    EXPECT_EQ(percentEncode("a b/c?d=e&f%", ""), "a%20b%2Fc%3Fd%3De%26f%25");
    EXPECT_EQ(percentEncode("Gr\xc3\xbc\xc3\x9f"
                            "e",
                            ""),
              "Gr%C3%BC%C3%9Fe")
        << "UTF-8 byte by byte";
    EXPECT_EQ(percentEncode(std::string_view("\x00\x7f\xff", 3), ""), "%00%7F%FF");
}

TEST(PercentEncode, KeepNeverLetsANonAsciiByteThrough) {
    EXPECT_EQ(percentEncode("\xc3\xbc", "\xc3\xbc"), "%C3%BC");
}

} // namespace
} // namespace sealpost::base
