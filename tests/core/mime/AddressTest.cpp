#include "mime/Address.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sealpost::mime {
namespace {

using Addresses = std::vector<std::string>;

TEST(AddressTest, DisplayNamesAndQuotedNames) {
    EXPECT_EQ(parseAddressList("Alice Smith <Alice@Example.COM>, \"Bob, Jr.\" <bob@EXAMPLE.org>"),
              (Addresses{"Alice@example.com", "bob@example.org"}));
    EXPECT_EQ(parseAddressList("Joe Q. Public <john.q.public@example.com>"), (Addresses{"john.q.public@example.com"}));
    EXPECT_EQ(parseAddressList("=?utf-8?q?J=C3=B6rg?= <j@x.de>"), (Addresses{"j@x.de"}));
}

TEST(AddressTest, QuotedDisplayNameCannotSpoofTheAddress) {
    EXPECT_EQ(parseAddressList("\"evil@attacker.example\" <victim@bank.example>"), (Addresses{"victim@bank.example"}));
    EXPECT_EQ(parseAddressList("\"Smith: John\" <j@x.com>"), (Addresses{"j@x.com"}));
}

TEST(AddressTest, Groups) {
    EXPECT_EQ(parseAddressList("friends: one@Friends.net, Two <two@friends.net>;, last@users.com"),
              (Addresses{"one@friends.net", "two@friends.net", "last@users.com"}));
    EXPECT_TRUE(parseAddressList("undisclosed-recipients:;").empty());
    EXPECT_EQ(parseAddressList("a@b.c, empty:;"), (Addresses{"a@b.c"}));
}

// mimetic::AddressList splits at the comma inside this comment.
TEST(AddressTest, CommentsAreIgnoredEvenWithCommasInside) {
    EXPECT_EQ(parseAddressList("a@b.c (Comment, with comma)"), (Addresses{"a@b.c"}));
    EXPECT_EQ(parseAddressList("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
              (Addresses{"pete@silly.test"}));
}

TEST(AddressTest, QuotedLocalPartRouteAndDomainLiteral) {
    EXPECT_EQ(parseAddressList("\"quoted local\"@Example.com"), (Addresses{"\"quoted local\"@example.com"}));
    EXPECT_EQ(parseAddressList("<@route.x,@other.y:user@Dom.Y>"), (Addresses{"user@dom.y"}));
    EXPECT_EQ(parseAddressList("user@[192.168.0.1]"), (Addresses{"user@[192.168.0.1]"}));
}

TEST(AddressTest, FoldedValuesAndEmptyElements) {
    EXPECT_EQ(parseAddressList("a@b.c\r\n\t, ,d@e.f, "), (Addresses{"a@b.c", "d@e.f"}));
}

TEST(AddressTest, GarbageGivesNoAddressesAtAll) {
    for (const char* value : {"", "garbage", "<<<>>>@@,,;;::", "Name <a@b.c> trailing@junk.d",
                              "victim@bank.example <evil@attacker.example>", "a@b.c, broken", "<a@b.c", "group: a@b.c",
                              "a@.b", ".a@b.c", "\"unterminated@b.c", "a@b.c (open comment", "<>"}) {
        EXPECT_TRUE(parseAddressList(value).empty()) << value;
    }
}

TEST(AddressTest, SameAddressIsCaseInsensitive) {
    EXPECT_TRUE(sameAddress("Alice@Example.com", "alice@example.COM"));
    EXPECT_TRUE(sameAddress(" a@b.c ", "a@b.c"));
    EXPECT_FALSE(sameAddress("alice@example.com", "alice@example.org"));
    EXPECT_FALSE(sameAddress("", ""));
}

} // namespace
} // namespace sealpost::mime
