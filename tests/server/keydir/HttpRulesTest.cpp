#include "keydir/HttpRules.h"

#include <gtest/gtest.h>

namespace sealpost::keydir {
namespace {

TEST(HttpRulesTest, PercentDecoding) {
    EXPECT_EQ(percentDecode("alice%40example.org"), "alice@example.org");
    EXPECT_EQ(percentDecode("a%2Fb%2fc"), "a/b/c");
    EXPECT_EQ(percentDecode("plain"), "plain");
    for (const char* bad : {"%", "%4", "%zz", "a%4", "%00"}) {
        EXPECT_FALSE(percentDecode(bad)) << bad;
    }
}

TEST(HttpRulesTest, Negotiation) {
    EXPECT_EQ(negotiate(std::nullopt, true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("", true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("application/json", true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("*/*", true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("application/*", true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("application/pkcs7-mime", true), Preferred::CertsOnly);
    EXPECT_EQ(negotiate("Application/PKCS7-MIME; smime-type=certs-only", true), Preferred::CertsOnly);
    EXPECT_EQ(negotiate("application/pkcs7-mime, */*;q=0.1", true), Preferred::CertsOnly);
    EXPECT_EQ(negotiate("application/pkcs7-mime;q=0.4, application/json;q=0.5", true), Preferred::JsonAnswer);
    EXPECT_EQ(negotiate("application/pkcs7-mime", false), Preferred::None);
    EXPECT_EQ(negotiate("text/html", true), Preferred::None);
    EXPECT_EQ(negotiate("application/json;q=0", true), Preferred::None);
    // The most specific range decides: json excluded although */* allows everything.
    EXPECT_EQ(negotiate("*/*, application/json;q=0", false), Preferred::None);
}

TEST(HttpRulesTest, EtagMatching) {
    EXPECT_TRUE(etagMatches("\"abc\"", "\"abc\""));
    EXPECT_TRUE(etagMatches("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(etagMatches("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(etagMatches("*", "\"abc\""));
    EXPECT_FALSE(etagMatches("\"abd\"", "\"abc\""));
    EXPECT_FALSE(etagMatches("abc", "\"abc\""));
    EXPECT_FALSE(etagMatches("", "\"abc\""));
}

TEST(HttpRulesTest, MediaTypes) {
    EXPECT_EQ(mediaType(" Application/JSON ; charset=utf-8"), "application/json");
    EXPECT_EQ(mediaParameter("application/pkcs7-mime; name=x.p7c; Smime-Type=\"Certs-Only\"", "smime-type"),
              "certs-only");
    EXPECT_FALSE(mediaParameter("application/pkcs7-mime", "smime-type"));
}

TEST(HttpRulesTest, ClientAddress) {
    EXPECT_EQ(clientAddress("10.0.0.1", "198.51.100.7", false), "10.0.0.1");
    EXPECT_EQ(clientAddress("10.0.0.1", std::nullopt, true), "10.0.0.1");
    EXPECT_EQ(clientAddress("10.0.0.1", "203.0.113.1, 198.51.100.7 ", true), "198.51.100.7");
    EXPECT_EQ(clientAddress("10.0.0.1", " ", true), "10.0.0.1");
}

TEST(HttpRulesTest, SecretEquals) {
    EXPECT_TRUE(secretEquals("token", "token"));
    EXPECT_FALSE(secretEquals("token", "tokem"));
    EXPECT_FALSE(secretEquals("token", "token2"));
    EXPECT_FALSE(secretEquals("", "x"));
}

} // namespace
} // namespace sealpost::keydir
