#include "smime/Base64Sink.h"

#include "mime/TransferEncoding.h"

#include <gtest/gtest.h>
#include <random>

using namespace sealpost;

namespace {

base::Bytes randomBytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    base::Bytes out(n);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng() & 0xFF);
    }
    return out;
}

// Feeds `data` in chunks of `chunk` octets and returns what reached the target.
std::string encodeInChunks(const base::Bytes& data, std::size_t chunk) {
    std::string out;
    base::StringSink target(out);
    smime::Base64Sink sink(target);
    for (std::size_t i = 0; i < data.size(); i += chunk) {
        const std::size_t n = std::min(chunk, data.size() - i);
        EXPECT_TRUE(sink.write(base::ByteView(data.data() + i, n)));
    }
    EXPECT_TRUE(sink.finish());
    return out;
}

} // namespace

TEST(Base64SinkTest, MatchesOneShotEncodingForAnySizeAndChunking) {
    for (std::size_t size : {0UL, 1UL, 2UL, 3UL, 56UL, 57UL, 58UL, 114UL, 1000UL, 200000UL}) {
        const auto data = randomBytes(size, static_cast<unsigned>(size));
        const std::string expected = mime::encodeBase64(data);
        for (std::size_t chunk : {1UL, 2UL, 7UL, 57UL, 4096UL, 1000000UL}) {
            EXPECT_EQ(encodeInChunks(data, chunk), expected) << "size " << size << " chunk " << chunk;
        }
    }
}

TEST(Base64SinkTest, LinesAreAtMost76CharactersWithCrlf) {
    const std::string out = encodeInChunks(randomBytes(10000, 1), 333);
    std::size_t start = 0;
    while (start < out.size()) {
        const auto end = out.find("\r\n", start);
        ASSERT_NE(end, std::string::npos);
        EXPECT_LE(end - start, 76U);
        start = end + 2;
    }
}

TEST(Base64SinkTest, ReportsATargetFailure) {
    struct FailingSink final : base::ByteSink {
        bool write(base::ByteView) override { return false; }
    } failing;
    smime::Base64Sink sink(failing);
    const auto data = randomBytes(200000, 2);
    EXPECT_FALSE(sink.write(data)); // more than one block: the first hand-over fails
}
