#include "directory/Address.h"

#include <gtest/gtest.h>

using namespace sealpost::directory;

TEST(DirectoryAddressTest, HashOfTheDocumentedExample) {
    EXPECT_EQ(addressHash("alice@example.org"), "7a64adf28737ea90719cbdf0b1a87a5effff3753b79c91d717f4f4153ead0498");
}

TEST(DirectoryAddressTest, NormalisationTrimsAndLowerCasesBothParts) {
    auto n = normaliseAddress("  Alice@Example.ORG\t");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, "alice@example.org");
    EXPECT_EQ(addressHash(*n), addressHash("alice@example.org"));
}

TEST(DirectoryAddressTest, NonAsciiBytesAreKeptAsTheyAre) {
    auto n = normaliseAddress("J\xC3\x96RG@Example.org");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, "j\xC3\x96rg@example.org");
}

TEST(DirectoryAddressTest, MalformedAddressesAreRefused) {
    for (const char* bad : {"", "alice", "@example.org", "alice@", "a@b@c", "al ice@example.org",
                            "alice@exa\x01mple.org", "alice@example.org\x7f"}) {
        auto n = normaliseAddress(bad);
        ASSERT_FALSE(n.ok()) << bad;
        EXPECT_EQ(n.error().code, sealpost::base::ErrorCode::InvalidArgument);
    }
}

TEST(DirectoryAddressTest, LengthLimitIs254Bytes) {
    const std::string domain = "@example.org";
    EXPECT_TRUE(normaliseAddress(std::string(254 - domain.size(), 'a') + domain).ok());
    EXPECT_FALSE(normaliseAddress(std::string(255 - domain.size(), 'a') + domain).ok());
}
