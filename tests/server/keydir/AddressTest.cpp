#include "keydir/Address.h"

#include <gtest/gtest.h>
#include <string>

namespace sealpost::keydir {
namespace {

TEST(AddressTest, NormalisesCaseAndSurroundingSpace) {
    EXPECT_EQ(normaliseAddress("alice@example.org"), "alice@example.org");
    EXPECT_EQ(normaliseAddress("  Alice@Example.ORG\t\r\n"), "alice@example.org");
    // Only ASCII letters change: UTF-8 bytes stay as they are.
    EXPECT_EQ(normaliseAddress("J\xC3\xBCRGEN@Example.org"), "j\xC3\xBCrgen@example.org");
}

TEST(AddressTest, RefusesWhatIsNotOneAddress) {
    for (const char* bad :
         {"", "   ", "alice", "@example.org", "alice@", "alice@@example.org", "a@b@c", "alice smith@example.org",
          "alice@exa\tmple.org", "alice\x7f@example.org", "alice\x01@example.org"}) {
        EXPECT_FALSE(normaliseAddress(bad)) << bad;
    }
    EXPECT_FALSE(normaliseAddress(std::string_view("al\0ce@example.org", 17)));
}

TEST(AddressTest, AtMost254Bytes) {
    const std::string domain = "@example.org"; // 12 bytes
    EXPECT_TRUE(normaliseAddress(std::string(242, 'a') + domain));
    EXPECT_FALSE(normaliseAddress(std::string(243, 'a') + domain));
    // Surrounding space does not count.
    EXPECT_TRUE(normaliseAddress("  " + std::string(242, 'a') + domain + "  "));
}

TEST(AddressTest, HashIsTheDocumentedSha256) {
    // docs/directory-api.md: printf %s alice@example.org | sha256sum
    EXPECT_EQ(addressHash("alice@example.org"), "7a64adf28737ea90719cbdf0b1a87a5effff3753b79c91d717f4f4153ead0498");
    EXPECT_EQ(addressHash(*normaliseAddress(" ALICE@example.org ")), addressHash("alice@example.org"));
}

TEST(AddressTest, RecognisesHashes) {
    const std::string hash = addressHash("alice@example.org");
    EXPECT_TRUE(isAddressHash(hash));
    EXPECT_FALSE(isAddressHash(hash.substr(0, 63)));
    EXPECT_FALSE(isAddressHash(hash + "0"));
    std::string upper = hash;
    upper[0] = 'A';
    EXPECT_FALSE(isAddressHash(upper));
    EXPECT_FALSE(isAddressHash(std::string(63, '0') + "g"));
    const auto bytes = addressHashBytes(hash);
    EXPECT_EQ(bytes[0], 0x7a);
    EXPECT_EQ(bytes[31], 0x98);
}

} // namespace
} // namespace sealpost::keydir
