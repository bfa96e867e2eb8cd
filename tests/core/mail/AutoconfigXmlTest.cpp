#include "mail/AutoconfigXml.h"

#include <gtest/gtest.h>

namespace sealpost::mail {
namespace {

using base::ErrorCode;

// Shaped like the documents the Thunderbird ISP database serves.
constexpr std::string_view kDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.net">
    <domain>example.net</domain>
    <displayName>Example</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.net</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname> smtp.example.net </hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
)";

TEST(AutoconfigXmlTest, ReadsImapAndSmtpWithPlaceholdersResolved) {
    auto parsed = parseAutoconfigXml(kDocument, "jo@example.net");
    ASSERT_TRUE(parsed) << parsed.error().detail;
    ASSERT_TRUE(parsed->imap);
    EXPECT_EQ(parsed->imap->host, "imap.example.net");
    EXPECT_EQ(parsed->imap->port, 993);
    EXPECT_EQ(parsed->imap->security, Security::ImplicitTls);
    EXPECT_EQ(parsed->imap->username, "jo");
    EXPECT_EQ(parsed->imap->auth, AuthMethod::XOAuth2); // the first listed method we support
    ASSERT_TRUE(parsed->smtp);
    EXPECT_EQ(parsed->smtp->host, "smtp.example.net");
    EXPECT_EQ(parsed->smtp->port, 587);
    EXPECT_EQ(parsed->smtp->security, Security::StartTls);
    EXPECT_EQ(parsed->smtp->username, "jo@example.net");
    EXPECT_EQ(parsed->smtp->auth, AuthMethod::Plain);
    EXPECT_TRUE(parsed->imap->secret.empty());
}

TEST(AutoconfigXmlTest, SkipsPlaintextServersAndTakesTheNextUsable) {
    const std::string doc = R"(<clientConfig><emailProvider>
      <incomingServer type="imap"><hostname>plain.example</hostname><port>143</port><socketType>plain</socketType></incomingServer>
      <incomingServer type="imap"><hostname>cram.example</hostname><port>993</port><socketType>SSL</socketType>
        <authentication>password-encrypted</authentication></incomingServer>
      <incomingServer type="imap"><hostname>good.example</hostname><port>143</port><socketType>STARTTLS</socketType></incomingServer>
      <outgoingServer type="smtp"><hostname>s.example</hostname><port>25</port><socketType>plain</socketType></outgoingServer>
    </emailProvider></clientConfig>)";
    auto parsed = parseAutoconfigXml(doc, "a@b.example");
    ASSERT_TRUE(parsed) << parsed.error().detail;
    ASSERT_TRUE(parsed->imap);
    EXPECT_EQ(parsed->imap->host, "good.example");
    EXPECT_EQ(parsed->imap->security, Security::StartTls);
    EXPECT_EQ(parsed->imap->username, "a@b.example"); // no <username>: the address
    EXPECT_FALSE(parsed->smtp);                       // plaintext is never proposed
}

TEST(AutoconfigXmlTest, IgnoresServersOutsideEmailProvider) {
    const std::string doc = R"(<clientConfig><incomingServer type="imap"><hostname>x</hostname><port>993</port>
        <socketType>SSL</socketType></incomingServer></clientConfig>)";
    auto parsed = parseAutoconfigXml(doc, "a@b");
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->imap);
}

TEST(AutoconfigXmlTest, RejectsBadPorts) {
    for (const char* port : {"0", "65536", "99x", "", "-1"}) {
        const std::string doc = std::string(R"(<clientConfig><emailProvider><incomingServer type="imap">)") +
                                "<hostname>h</hostname><port>" + port +
                                "</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>";
        auto parsed = parseAutoconfigXml(doc, "a@b");
        ASSERT_TRUE(parsed) << port;
        EXPECT_FALSE(parsed->imap) << port;
    }
}

TEST(AutoconfigXmlTest, MalformedDocumentsAreErrors) {
    for (const std::string_view doc : {
             std::string_view{""},
             std::string_view{"not xml at all"},
             std::string_view{"<clientConfig><emailProvider></clientConfig>"},
             std::string_view{"<html><body>404</body></html>"},
             std::string_view{"<clientConfig>"},
             std::string_view{"<clientConfig>\xff\xfe</clientConfig>"},
         }) {
        auto parsed = parseAutoconfigXml(doc, "a@b");
        ASSERT_FALSE(parsed) << doc;
        EXPECT_EQ(parsed.error().code, ErrorCode::MalformedInput) << doc;
        EXPECT_FALSE(parsed.error().detail.empty());
    }
}

TEST(AutoconfigXmlTest, RefusesDoctypeAndEntityExpansion) {
    const std::string doc = R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
        <clientConfig><emailProvider><incomingServer type="imap"><hostname>&lol2;</hostname></incomingServer>
        </emailProvider></clientConfig>)";
    auto parsed = parseAutoconfigXml(doc, "a@b");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::MalformedInput);
    EXPECT_NE(parsed.error().detail.find("DOCTYPE"), std::string::npos);
}

TEST(AutoconfigXmlTest, LimitsSizeAndDepth) {
    const std::string big(kMaxAutoconfigSize + 1, ' ');
    auto parsed = parseAutoconfigXml(big, "a@b");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::LimitExceeded);

    std::string deep = "<clientConfig>";
    for (int i = 0; i < 100; ++i) {
        deep += "<a>";
    }
    for (int i = 0; i < 100; ++i) {
        deep += "</a>";
    }
    deep += "</clientConfig>";
    auto nested = parseAutoconfigXml(deep, "a@b");
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().code, ErrorCode::MalformedInput);
}

TEST(AutoconfigXmlTest, ResolvesPlaceholders) {
    EXPECT_EQ(resolvePlaceholders("%EMAILLOCALPART%+x@%EMAILDOMAIN% %EMAILADDRESS%", "jo@ex.net"),
              "jo+x@ex.net jo@ex.net");
    EXPECT_EQ(resolvePlaceholders("%UNKNOWN%", "jo@ex.net"), "%UNKNOWN%");
}

} // namespace
} // namespace sealpost::mail
