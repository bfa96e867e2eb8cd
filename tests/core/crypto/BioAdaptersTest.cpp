#include "crypto/BioAdapters.h"

#include "CryptoTestSupport.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sealpost::crypto {
namespace {

using test::bytes;

std::string readAll(BIO* bio, int chunk) {
    std::string out;
    std::vector<char> buf(static_cast<std::size_t>(chunk));
    for (int n = 0; (n = BIO_read(bio, buf.data(), chunk)) > 0;) {
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
}

TEST(BioAdaptersTest, SourceYieldsPiecesInOrderForEveryReadSize) {
    const std::string a = "Hello, ";
    const std::string empty;
    const std::string b = "streaming ";
    const std::string c(10000, 'z');
    const std::array<base::ByteView, 5> pieces = {bytes(a), bytes(empty), bytes(b), bytes(empty), bytes(c)};
    for (int chunk : {1, 3, 7, 8, 64, 4096, 20000}) {
        OsslPtr<BIO> bio = makeSourceBio(pieces);
        ASSERT_NE(bio, nullptr);
        EXPECT_EQ(BIO_eof(bio.get()), 0);
        EXPECT_EQ(readAll(bio.get(), chunk), a + b + c) << chunk;
        EXPECT_EQ(BIO_eof(bio.get()), 1);
        char x = 0;
        EXPECT_EQ(BIO_read(bio.get(), &x, 1), 0) << "stays at end";
        EXPECT_FALSE(BIO_should_retry(bio.get()));
    }
}

TEST(BioAdaptersTest, EmptySource) {
    OsslPtr<BIO> none = makeSourceBio({});
    EXPECT_EQ(readAll(none.get(), 16), "");
    EXPECT_EQ(BIO_eof(none.get()), 1);
    const std::string empty;
    const std::array<base::ByteView, 2> pieces = {bytes(empty), bytes(empty)};
    OsslPtr<BIO> empties = makeSourceBio(pieces);
    EXPECT_EQ(readAll(empties.get(), 16), "");
    EXPECT_EQ(BIO_flush(empties.get()), 1);
}

TEST(BioAdaptersTest, SourceRefusesWrites) {
    const std::string a = "x";
    const std::array<base::ByteView, 1> pieces = {bytes(a)};
    OsslPtr<BIO> bio = makeSourceBio(pieces);
    EXPECT_LE(BIO_write(bio.get(), "y", 1), 0);
    ERR_clear_error();
}

TEST(BioAdaptersTest, SinkForwardsEveryWrite) {
    std::string out;
    base::StringSink sink(out);
    OsslPtr<BIO> bio = makeSinkBio(sink);
    ASSERT_NE(bio, nullptr);
    EXPECT_EQ(BIO_write(bio.get(), "abc", 3), 3);
    EXPECT_EQ(BIO_write(bio.get(), "", 0), 0);
    EXPECT_EQ(BIO_puts(bio.get(), "def"), -2) << "puts is not implemented; CMS never uses it";
    EXPECT_EQ(BIO_write(bio.get(), std::string(100000, 'q').data(), 100000), 100000);
    EXPECT_EQ(BIO_flush(bio.get()), 1);
    EXPECT_EQ(out, "abc" + std::string(100000, 'q'));
    ERR_clear_error();
}

TEST(BioAdaptersTest, FailingSinkReportsError) {
    test::FailingSink sink;
    OsslPtr<BIO> bio = makeSinkBio(sink);
    EXPECT_LT(BIO_write(bio.get(), "abc", 3), 0);
}

TEST(BioAdaptersTest, SinkWorksBehindFilterBios) {
    // CMS pushes filter BIOs (buffer, cipher, base64) in front of ours; BIO_free_all must not
    // free the caller's sink.
    std::string out;
    base::StringSink sink(out);
    OsslPtr<BIO> chain(BIO_push(BIO_new(BIO_f_buffer()), makeSinkBio(sink).release()));
    EXPECT_EQ(BIO_write(chain.get(), "buffered", 8), 8);
    EXPECT_EQ(BIO_flush(chain.get()), 1);
    chain.reset();
    EXPECT_EQ(out, "buffered");
}

} // namespace
} // namespace sealpost::crypto
