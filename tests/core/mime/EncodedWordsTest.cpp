#include "mime/EncodedWords.h"

#include <gtest/gtest.h>

namespace sealpost::mime {
namespace {

TEST(EncodedWordsTest, PlainTextIsUnchanged) {
    EXPECT_EQ(decodeEncodedWords("Quarterly report, 3 = 1 + 2"), "Quarterly report, 3 = 1 + 2");
    EXPECT_EQ(decodeEncodedWords(""), "");
}

TEST(EncodedWordsTest, DecodesBase64AndQ) {
    EXPECT_EQ(decodeEncodedWords("=?UTF-8?B?VmVydHJhZyBmw7xyIFNpZQ==?="), "Vertrag f\xC3\xBCr Sie");
    EXPECT_EQ(decodeEncodedWords("=?utf-8?q?Vertrag_f=C3=BCr_Sie?="), "Vertrag f\xC3\xBCr Sie");
    EXPECT_EQ(decodeEncodedWords("=?ISO-8859-1?Q?Gr=FC=DFe?="), "Gr\xC3\xBC\xC3\x9F"
                                                                "e");
    EXPECT_EQ(decodeEncodedWords("=?UTF-8*de?Q?Hallo?="), "Hallo"); // RFC 2231 language suffix
}

TEST(EncodedWordsTest, SpaceBetweenWordsIsDroppedElsewhereKept) {
    // RFC 2047 section 8's examples.
    EXPECT_EQ(decodeEncodedWords("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
    EXPECT_EQ(decodeEncodedWords("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
    EXPECT_EQ(decodeEncodedWords("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
    EXPECT_EQ(decodeEncodedWords("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
    EXPECT_EQ(decodeEncodedWords("Re: =?UTF-8?B?w7w=?= done"), "Re: \xC3\xBC done");
}

TEST(EncodedWordsTest, WhatCannotBeDecodedStaysAsItIs) {
    for (const char* text : {"=?UTF-8?B?not base64!?=", "=?UTF-8?X?abc?=", "=?KOI8-R?B?9MXT1A==?=", "=?UTF-8?Q?=ZZ?=",
                             "=?UTF-8?B?/w==?=" /* 0xFF is not UTF-8 */, "=?UTF-8?Q?a b?=", "=?UTF-8?B?", "=?\?="}) {
        EXPECT_EQ(decodeEncodedWords(text), text) << text;
    }
}

TEST(EncodedWordsTest, ControlCharactersBecomeSpaces) {
    // "a\r\nBcc: x" encoded: a decoded Subject must not be able to fake header lines.
    EXPECT_EQ(decodeEncodedWords("=?UTF-8?Q?a=0D=0ABcc:_x?="), "a  Bcc: x");
}

} // namespace
} // namespace sealpost::mime
