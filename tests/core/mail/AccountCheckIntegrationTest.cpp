// checkLogin() and discover()'s verified guesses against the real Dovecot + Postfix fixture.
// Run through with-mailserver.sh, which starts the fixture and sets SEALPOST_MAIL_ENV to its env
// file; skipped without it.
#include "MailFixtureEnv.h"
#include "mail/AccountCheck.h"
#include "mail/Autoconfig.h"
#include "mail/SrvResolver.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>

namespace sealpost::mail {
namespace {

using base::ErrorCode;

class AccountCheckIntegrationTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_env = test::readMailFixtureEnv();
        if (m_env.empty()) {
            GTEST_SKIP() << "no mail fixture (run through with-mailserver.sh)";
        }
    }

    ServerSettings server(const std::string& portVar, Security security, const std::string& user = "alice") {
        ServerSettings s;
        s.host = m_env.at("MAIL_HOST");
        s.port = std::stoi(m_env.at(portVar));
        s.security = security;
        s.username = m_env.at("MAIL_USER_" + user);
        s.secret = m_env.at("MAIL_PASSWORD_" + user);
        s.pinnedSha256 = m_env.at("MAIL_CERT_SHA256");
        s.connectTimeout = std::chrono::seconds(5);
        return s;
    }

    std::map<std::string, std::string> m_env;
};

TEST_F(AccountCheckIntegrationTest, LoginWorksOnEveryPortAndSecurity) {
    EXPECT_TRUE(checkLogin(server("MAIL_IMAPS_PORT", Security::ImplicitTls), Protocol::Imap).ok());
    EXPECT_TRUE(checkLogin(server("MAIL_IMAP_PORT", Security::StartTls), Protocol::Imap).ok());
    EXPECT_TRUE(checkLogin(server("MAIL_SUBMISSIONS_PORT", Security::ImplicitTls), Protocol::Smtp).ok());
    const auto check = checkLogin(server("MAIL_SUBMISSION_PORT", Security::StartTls, "bob"), Protocol::Smtp);
    EXPECT_TRUE(check.ok()) << check.error->detail;
    EXPECT_EQ(check.certificateSha256, m_env.at("MAIL_CERT_SHA256"));
}

TEST_F(AccountCheckIntegrationTest, WrongPasswordIsAuthFailed) {
    for (const auto& [port, security, protocol] :
         {std::tuple{"MAIL_IMAPS_PORT", Security::ImplicitTls, Protocol::Imap},
          std::tuple{"MAIL_SUBMISSION_PORT", Security::StartTls, Protocol::Smtp}}) {
        auto s = server(port, security);
        s.secret = "wrong";
        const auto check = checkLogin(s, protocol);
        ASSERT_FALSE(check.ok()) << port;
        EXPECT_EQ(check.error->code, ErrorCode::AuthFailed) << port << ": " << check.error->detail;
    }
}

TEST_F(AccountCheckIntegrationTest, ClosedPortIsUnreachable) {
    auto s = server("MAIL_IMAPS_PORT", Security::ImplicitTls);
    s.port = 1; // nothing listens there
    const auto check = checkLogin(s, Protocol::Imap);
    ASSERT_FALSE(check.ok());
    EXPECT_EQ(check.error->code, ErrorCode::Unreachable) << check.error->detail;
}

TEST_F(AccountCheckIntegrationTest, UnpinnedSelfSignedIsUntrustedAndNamesTheCertificate) {
    for (const auto& [port, security, protocol] :
         {std::tuple{"MAIL_IMAPS_PORT", Security::ImplicitTls, Protocol::Imap},
          std::tuple{"MAIL_SUBMISSION_PORT", Security::StartTls, Protocol::Smtp}}) {
        auto s = server(port, security);
        s.pinnedSha256.clear();
        const auto check = checkLogin(s, protocol);
        ASSERT_FALSE(check.ok()) << port;
        EXPECT_EQ(check.error->code, ErrorCode::UntrustedServer) << port << ": " << check.error->detail;
        EXPECT_EQ(check.certificateSha256, m_env.at("MAIL_CERT_SHA256")) << port;
    }
}

TEST_F(AccountCheckIntegrationTest, TlsSpokenToAStartTlsPortIsAProtocolError) {
    const auto check = checkLogin(server("MAIL_IMAP_PORT", Security::ImplicitTls), Protocol::Imap);
    ASSERT_FALSE(check.ok());
    EXPECT_EQ(check.error->code, ErrorCode::ProtocolError) << check.error->detail;
}

class NoSrv final : public SrvResolver {
public:
    base::Result<std::vector<SrvRecord>> lookup(const std::string& name) override {
        return base::makeError(ErrorCode::NotFound, name);
    }
};

// The guesses for "localhost" connect to the real servers (connect-to maps the standard ports to
// the fixture's; the fixture's certificate, issued to localhost, is the trust anchor): implicit TLS
// is found and preferred over STARTTLS, and the unused names are reported unreachable.
TEST_F(AccountCheckIntegrationTest, GuessesAreVerifiedByConnecting) {
    NoSrv noSrv;
    DiscoveryOptions options;
    options.srvResolver = &noSrv;
    options.caFile = m_env.at("MAIL_CERT");
    const std::string closed = "1"; // nothing listens on port 1
    options.connectTo = {"localhost:993:127.0.0.1:" + m_env.at("MAIL_IMAPS_PORT"),
                         "localhost:143:127.0.0.1:" + m_env.at("MAIL_IMAP_PORT"),
                         "localhost:587:127.0.0.1:" + m_env.at("MAIL_SUBMISSION_PORT"), "::127.0.0.1:" + closed};
    auto result = discover("dave@localhost", options);
    ASSERT_TRUE(result) << result.error().detail;
    ASSERT_TRUE(result->imap);
    EXPECT_EQ(result->imap->host, "localhost");
    EXPECT_EQ(result->imap->port, 993);
    EXPECT_EQ(result->imap->security, Security::ImplicitTls);
    ASSERT_TRUE(result->smtp);
    EXPECT_EQ(result->smtp->port, 587); // nothing on 465
    EXPECT_EQ(result->smtp->security, Security::StartTls);
    std::map<std::string, StepOutcome> outcomes;
    for (const auto& step : result->steps) {
        outcomes[step.tried] = step.outcome;
        if (step.method == DiscoveryMethod::AutoconfigHost || step.method == DiscoveryMethod::WellKnown) {
            EXPECT_EQ(step.error->code, ErrorCode::Unreachable) << step.tried << ": " << step.error->detail;
        }
    }
    EXPECT_EQ(outcomes["imap localhost:993 (tls)"], StepOutcome::Found);
    EXPECT_EQ(outcomes["imap localhost:143 (starttls)"], StepOutcome::Found);
    EXPECT_EQ(outcomes["imap imap.localhost:993 (tls)"], StepOutcome::Failed);
    EXPECT_EQ(outcomes["smtp localhost:465 (tls)"], StepOutcome::Failed);
    EXPECT_EQ(outcomes["smtp localhost:587 (starttls)"], StepOutcome::Found);
}

} // namespace
} // namespace sealpost::mail
