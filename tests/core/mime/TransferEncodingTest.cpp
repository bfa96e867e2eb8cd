#include "mime/TransferEncoding.h"

#include "mime/MimeEntity.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::mime {
namespace {

using base::asBytes;
using base::asString;
using base::ErrorCode;

std::string decoded64(std::string_view text) {
    auto result = decodeBase64(text);
    return result.ok() ? std::string(asString(*result)) : std::string("<error>");
}

TEST(TransferEncodingTest, Base64RoundTripsAllTailLengths) {
    std::string data;
    for (int i = 0; i < 300; ++i) {
        data.push_back(static_cast<char>(i * 7));
        EXPECT_EQ(decoded64(encodeBase64(asBytes(data))), data);
        EXPECT_EQ(decoded64(encodeBase64(asBytes(data), 0)), data);
    }
}

TEST(TransferEncodingTest, Base64EncodingLayout) {
    EXPECT_EQ(encodeBase64(asBytes("")), "");
    EXPECT_EQ(encodeBase64(asBytes("f"), 0), "Zg==");
    EXPECT_EQ(encodeBase64(asBytes("fo"), 0), "Zm8=");
    EXPECT_EQ(encodeBase64(asBytes("foo")), "Zm9v\r\n");
    EXPECT_EQ(encodeBase64(asBytes("foobar"), 4), "Zm9v\r\nYmFy\r\n");
    const std::string encoded = encodeBase64(asBytes(std::string(100, 'x')));
    EXPECT_EQ(encoded.find("\r\n"), 76U);
    EXPECT_EQ(encoded.substr(encoded.size() - 2), "\r\n");
}

TEST(TransferEncodingTest, Base64IgnoresWhitespaceAndLineBreaks) {
    EXPECT_EQ(decoded64(" Zm9v\r\nYm\tFy\n"), "foobar");
    EXPECT_EQ(decoded64("Zg==\r\n"), "f");
    EXPECT_EQ(decoded64(""), "");
}

TEST(TransferEncodingTest, GarbledBase64IsMalformedWithDetail) {
    for (const char* text : {"Zm9v!", "Zm9v\x80", "Zg=", "Z===", "=Zg=", "Zm9", "Zg==Zg==", "Zm=v", "Zg== x"}) {
        auto result = decodeBase64(text);
        ASSERT_FALSE(result.ok()) << text;
        EXPECT_EQ(result.error().code, ErrorCode::MalformedInput) << text;
        EXPECT_FALSE(result.error().detail.empty());
    }
    EXPECT_NE(decodeBase64("Zm9v*").error().detail.find("0x2A at offset 4"), std::string::npos);
}

TEST(TransferEncodingTest, QuotedPrintableDecodingIsLenient) {
    EXPECT_EQ(decodeQuotedPrintable("caf=C3=a9 soft=\r\nbreak=  \nend"), "caf\xC3\xA9 softbreakend");
    EXPECT_EQ(decodeQuotedPrintable("a=3D1 =ZZ =4"), "a=1 =ZZ =4");
    EXPECT_EQ(decodeQuotedPrintable("trailing   \r\nnext\t\nlast  "), "trailing\r\nnext\nlast");
    EXPECT_EQ(decodeQuotedPrintable("end="), "end");
}

TEST(TransferEncodingTest, QuotedPrintableEncoding) {
    EXPECT_EQ(encodeQuotedPrintable("a=b\ncaf\xC3\xA9 \n"), "a=3Db\r\ncaf=C3=A9=20\r\n");
    EXPECT_EQ(encodeQuotedPrintable("From here\r\n.\r\nx\ry"), "=46rom here\r\n=2E\r\nx=0Dy");
    const std::string encoded = encodeQuotedPrintable(std::string(200, 'a') + "\n" + std::string(100, '\xFF'));
    std::size_t start = 0;
    while (start < encoded.size()) {
        std::size_t end = encoded.find("\r\n", start);
        end = end == std::string::npos ? encoded.size() : end;
        EXPECT_LE(end - start, 76U);
        start = end + 2;
    }
    EXPECT_EQ(decodeQuotedPrintable(encoded), std::string(200, 'a') + "\r\n" + std::string(100, '\xFF'));
}

TEST(TransferEncodingTest, QuotedPrintableRoundTripOfBinary) {
    std::string data;
    for (int i = 0; i < 1024; ++i) {
        data.push_back(static_cast<char>((i * 37) % 256));
    }
    // Line breaks are canonicalised to CRLF by the encoder; everything else survives.
    const std::string decoded = decodeQuotedPrintable(encodeQuotedPrintable(data));
    std::string expected;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
            expected += "\r\n";
        } else {
            expected += data[i];
        }
    }
    EXPECT_EQ(decoded, expected);
}

TEST(TransferEncodingTest, DecodeBodyDispatchesOnTransferEncoding) {
    auto entity = [](const char* text) { return std::move(parseEntity(text).value()); };
    const std::string b64 = "Content-Transfer-Encoding: Base64\r\n\r\nZm9v\r\n";
    EXPECT_EQ(decodeBody(entity(b64.c_str())).value(), "foo");
    const std::string qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\na=3Db";
    EXPECT_EQ(decodeBody(entity(qp.c_str())).value(), "a=b");
    const std::string bin = "Content-Transfer-Encoding: binary\r\n\r\n=3D";
    EXPECT_EQ(decodeBody(entity(bin.c_str())).value(), "=3D");
    EXPECT_EQ(decodeBody(entity("\r\nplain")).value(), "plain");
    auto garbled = decodeBody(entity("Content-Transfer-Encoding: base64\r\n\r\nZm9v$$"));
    ASSERT_FALSE(garbled.ok());
    EXPECT_EQ(garbled.error().code, ErrorCode::MalformedInput);
    auto unknown = decodeBody(entity("Content-Transfer-Encoding: x-unknown\r\n\r\nx"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::Unsupported);
}

} // namespace
} // namespace sealpost::mime

namespace sealpost::mime {
namespace {

base::Result<std::string> decodeInPieces(std::string_view text, std::size_t split) {
    Base64Decoder decoder;
    std::string out;
    for (std::string_view piece : {text.substr(0, split), text.substr(split)}) {
        std::vector<std::uint8_t> buffer(Base64Decoder::maxDecodedSize(piece.size()));
        auto n = decoder.decode(piece, buffer.data());
        if (!n) {
            return n.error();
        }
        out.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
    if (auto end = decoder.finish(); !end) {
        return end.error();
    }
    return out;
}

TEST(Base64DecoderTest, PiecesDecodeLikeTheWholeTextWhereverTheySplit) {
    const std::vector<std::string> inputs = {
        "",
        "TWFu",
        "TWE=",
        "TQ==",
        "SGVsbG8sIFdvcmxkIQ==\r\n",
        "TWFu\r\nTWFu\r\n TW E=",
        encodeBase64(base::asBytes(std::string(1000, '\xA5')), 76),
        "TWFu!",     // invalid character
        "TW=u",      // misplaced padding
        "TWE=TWFu",  // data after padding
        "TWF",       // truncated
        "TQ==\r\n=", // padding after the end
    };
    for (const std::string& text : inputs) {
        auto whole = decodeBase64(text);
        for (std::size_t split = 0; split <= text.size(); ++split) {
            auto pieces = decodeInPieces(text, split);
            ASSERT_EQ(pieces.ok(), whole.ok()) << "'" << text << "' split at " << split;
            if (whole) {
                EXPECT_EQ(*pieces, std::string(base::asString(*whole))) << text << " split at " << split;
            } else {
                EXPECT_EQ(pieces.error().detail, whole.error().detail) << text << " split at " << split;
            }
        }
    }
}

} // namespace
} // namespace sealpost::mime
