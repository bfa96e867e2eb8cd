// The ACME server's small pure functions: address syntax and comparison, time text, nonces.
#include "ca/acme/AcmeFormat.h"

#include "ca/acme/NonceStore.h"

#include <gtest/gtest.h>

namespace sealpost::ca::acme::detail {
namespace {

TEST(AcmeFormatTest, EmailSyntax) {
    for (const char* good : {"a@example.org", "first.last+tag@sub.example.co", "x_y-z@a-b.example"}) {
        EXPECT_TRUE(isValidEmail(good)) << good;
    }
    for (const char* bad : {"", "a", "@example.org", "a@", "a@example", ".a@example.org", "a.@example.org",
                            "a..b@example.org", "a@-x.org", "a@x-.org", "a@x..org", "\"a b\"@example.org",
                            "a@[127.0.0.1]", "a b@example.org", "a@exa_mple.org", "ä@example.org"}) {
        EXPECT_FALSE(isValidEmail(bad)) << bad;
    }
    EXPECT_FALSE(isValidEmail(std::string(65, 'a') + "@example.org"));
}

TEST(AcmeFormatTest, MailboxComparison) {
    EXPECT_EQ(normaliseEmail("Alice@Example.ORG"), "Alice@example.org");
    EXPECT_TRUE(sameMailbox("alice@EXAMPLE.org", "alice@example.ORG"));
    EXPECT_FALSE(sameMailbox("Alice@example.org", "alice@example.org"));
    EXPECT_FALSE(sameMailbox("alice@example.org", "alice@example.org.evil"));
    EXPECT_EQ(addrSpecOf("Alice <alice@example.org>"), "alice@example.org");
    EXPECT_EQ(addrSpecOf("  alice@example.org \r\n"), "alice@example.org");
}

TEST(AcmeFormatTest, TimeAndDigests) {
    EXPECT_EQ(rfc3339(1780272000), "2026-06-01T00:00:00Z");
    // RFC 4634 test vector "abc".
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Base64Url("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    EXPECT_TRUE(constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(constantTimeEquals("abc", "abd"));
    EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
    auto token = randomToken(18);
    ASSERT_TRUE(token);
    EXPECT_EQ(token->size(), 24U);
    EXPECT_NE(*token, *randomToken(18));
}

TEST(NonceStoreTest, SingleUseExpiringAndBounded) {
    const base::TimePoint start = std::chrono::system_clock::from_time_t(1780272000);
    NonceStore nonces(std::chrono::seconds(60), 3);
    const std::string first = *nonces.issue(start);
    EXPECT_TRUE(nonces.consume(first, start));
    EXPECT_FALSE(nonces.consume(first, start));
    EXPECT_FALSE(nonces.consume("never-issued", start));

    const std::string expiring = *nonces.issue(start);
    EXPECT_FALSE(nonces.consume(expiring, start + std::chrono::seconds(60)));

    // Capacity 3: the fourth pushes out the oldest.
    const std::string a = *nonces.issue(start);
    const std::string b = *nonces.issue(start);
    const std::string c = *nonces.issue(start);
    const std::string d = *nonces.issue(start);
    EXPECT_FALSE(nonces.consume(a, start));
    EXPECT_TRUE(nonces.consume(b, start));
    EXPECT_TRUE(nonces.consume(c, start));
    EXPECT_TRUE(nonces.consume(d, start));
}

} // namespace
} // namespace sealpost::ca::acme::detail
