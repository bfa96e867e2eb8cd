#include "http/ListenAddress.h"

#include <gtest/gtest.h>

namespace sealpost::http {
namespace {

TEST(ListenAddressTest, HostAndPort) {
    auto v4 = parseListenAddress("127.0.0.1:8080");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 8080);
    auto v6 = parseListenAddress("[::1]:0");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 0);
    auto top = parseListenAddress("localhost:65535");
    ASSERT_TRUE(top);
    EXPECT_EQ(top->port, 65535);
}

TEST(ListenAddressTest, RefusesWhatIsNotHostColonPort) {
    for (const char* text : {"", "8080", ":8080", "[]:80", "host:", "host:65536", "host:-1", "host:80x", "host: 80"}) {
        EXPECT_FALSE(parseListenAddress(text)) << text;
    }
}

} // namespace
} // namespace sealpost::http
