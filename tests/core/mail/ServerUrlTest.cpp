#include "mail/ServerUrl.h"

#include <gtest/gtest.h>

namespace sealpost::mail {
namespace {

using base::ErrorCode;

TEST(ServerUrlTest, SchemesGiveSecurityAndDefaultPorts) {
    struct Case {
        const char* url;
        const char* protocol;
        Security security;
        int port;
    };
    for (const auto& c : {Case{"imaps://mail.example.org", "imap", Security::ImplicitTls, 993},
                          Case{"imap://mail.example.org", "imap", Security::StartTls, 143},
                          Case{"smtps://mail.example.org/", "smtp", Security::ImplicitTls, 465},
                          Case{"smtp://mail.example.org", "smtp", Security::StartTls, 587},
                          Case{"imaps://mail.example.org:1993", "imap", Security::ImplicitTls, 1993}}) {
        auto s = parseServerUrl(c.url, c.protocol, false);
        ASSERT_TRUE(s) << c.url << ": " << s.error().detail;
        EXPECT_EQ(s->host, "mail.example.org") << c.url;
        EXPECT_EQ(s->security, c.security) << c.url;
        EXPECT_EQ(s->port, c.port) << c.url;
        EXPECT_FALSE(s->allowPlaintext);
        EXPECT_EQ(parseServerUrl(serverUrl(*s, c.protocol), c.protocol, false)->port, c.port);
    }
}

TEST(ServerUrlTest, Ipv6Literal) {
    auto s = parseServerUrl("imaps://[::1]:10993", "imap", false);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->host, "::1");
    EXPECT_EQ(s->port, 10993);
    EXPECT_EQ(serverUrl(*s, "imap"), "imaps://[::1]:10993");
}

TEST(ServerUrlTest, PlaintextOnlyWhenAllowedAndLoopback) {
    EXPECT_FALSE(parseServerUrl("imap+plain://127.0.0.1:1143", "imap", false));
    EXPECT_FALSE(parseServerUrl("imap+plain://mail.example.org:143", "imap", true));
    EXPECT_FALSE(parseServerUrl("smtp+plain://127.0.0.1", "smtp", true)); // port required
    auto s = parseServerUrl("smtp+plain://127.0.0.1:2525", "smtp", true);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->security, Security::Plain);
    EXPECT_TRUE(s->allowPlaintext);
    EXPECT_EQ(serverUrl(*s, "smtp"), "smtp+plain://127.0.0.1:2525");
}

TEST(ServerUrlTest, RejectsMalformedUrls) {
    for (const char* url :
         {"mail.example.org", "smtps://mail.example.org", "pop3://x", "imaps://", "imaps://:993", "imaps://h:0",
          "imaps://h:65536", "imaps://h:99x", "imaps://user@h", "imaps://h/INBOX", "imaps://[::1", "imaps://h:"}) {
        auto s = parseServerUrl(url, "imap", true);
        ASSERT_FALSE(s) << url;
        EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument) << url;
    }
}

} // namespace
} // namespace sealpost::mail
