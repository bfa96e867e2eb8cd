#include "Config.h"

#include <gtest/gtest.h>

namespace sealpost::ca::app {
namespace {

constexpr std::string_view kComplete = R"(# a complete configuration
data_dir = ca-data
key_passphrase_file = /etc/sealpost-ca/passphrase
external_url = https://ca.example.org
listen = 0.0.0.0:8443
threads = 4
database = sqlite:state/ca.sqlite
challenge_from = acme@ca.example.org
smtp_url = smtp://mail.example.org:587
imap_url = imaps://mail.example.org:993
mail_password_file = mail.pw
certificate_lifetime_days = 30
require_dkim = yes
mail_poll_seconds = 2
keydir_url = https://keys.example.org
keydir_token_file = keydir.token
)";

TEST(CaConfigTest, ReadsEveryKeyAndResolvesRelativePaths) {
    auto config = parseConfig(kComplete, "/srv/ca");
    ASSERT_TRUE(config) << config.error().detail;
    EXPECT_EQ(config->dataDir, "/srv/ca/ca-data");
    EXPECT_EQ(config->keyPassphraseFile, "/etc/sealpost-ca/passphrase");
    EXPECT_EQ(config->externalUrl, "https://ca.example.org");
    EXPECT_EQ(config->listen, "0.0.0.0:8443");
    EXPECT_EQ(config->threads, 4);
    EXPECT_EQ(config->database, "sqlite:/srv/ca/state/ca.sqlite");
    EXPECT_EQ(config->certificateLifetime, std::chrono::hours(24 * 30));
    EXPECT_TRUE(config->requireDkim);
    EXPECT_EQ(config->mailPollInterval, std::chrono::seconds(2));
    EXPECT_EQ(config->mailPasswordFile, "/srv/ca/mail.pw");
    // Defaults derived from other keys.
    EXPECT_EQ(config->mailUser, "acme@ca.example.org");
    EXPECT_EQ(config->termsOfServiceUrl, "https://ca.example.org/terms");
    EXPECT_TRUE(checkForInit(*config));
    EXPECT_TRUE(checkForServe(*config));
}

TEST(CaConfigTest, DefaultsWhenAbsent) {
    auto config = parseConfig("challenge_from = acme@example.org\n", "");
    ASSERT_TRUE(config);
    EXPECT_EQ(config->certificateLifetime, std::chrono::hours(24 * 90));
    EXPECT_FALSE(config->requireDkim);
    EXPECT_EQ(config->keyType, "p384");
    EXPECT_EQ(config->database, "sqlite:ca.sqlite");
}

struct BadLine {
    std::string_view text;
    std::string_view message;
};

TEST(CaConfigTest, NamesTheLineAndTheProblem) {
    for (const BadLine& c : {
             BadLine{"data_dir = a\nnonsense\n", "line 2: expected key = value"},
             BadLine{"\n\ncolour = blue\n", "line 3: unknown key 'colour'"},
             BadLine{"threads = 2\nthreads = 3\n", "line 2: 'threads' is set twice"},
             BadLine{"threads = many\n", "line 1: 'threads' must be a whole number from 1 to 256"},
             BadLine{"threads = 0\n", "line 1: 'threads' must be a whole number from 1 to 256"},
             BadLine{"external_url = https://ca.example/\n",
                     "line 1: 'external_url' must be an http:// or https:// URL"},
             BadLine{"external_url = ftp://ca.example\n", "line 1: 'external_url' must be an http:// or https:// URL"},
             BadLine{"require_dkim = maybe\n", "line 1: 'require_dkim' must be true or false"},
             BadLine{"database = mysql://x\n", "line 1: 'database' must be sqlite:PATH"},
             BadLine{"certificate_lifetime_days = 0\n", "line 1: 'certificate_lifetime_days' must be a number of days"},
             BadLine{"key_type = rsa1024\n", "line 1: 'key_type' must be p384 or rsa4096"},
             BadLine{"data_dir =\n", "line 1: 'data_dir' has no value"},
             BadLine{"tls_cert = a.pem\n", "tls_cert and tls_key go together"},
             BadLine{"keydir_url = https://k.example\n", "keydir_url and keydir_token_file go together"},
         }) {
        auto config = parseConfig(c.text, "/x");
        ASSERT_FALSE(config) << c.text;
        EXPECT_EQ(config.error().code, base::ErrorCode::InvalidArgument);
        EXPECT_NE(config.error().detail.find(c.message), std::string::npos)
            << "got: " << config.error().detail << "\nexpected: " << c.message;
    }
}

TEST(CaConfigTest, ServeNamesEveryMissingKey) {
    auto config = parseConfig("data_dir = d\nkey_passphrase_file = p\n", "/x");
    ASSERT_TRUE(config);
    EXPECT_FALSE(checkForInit(*config)); // challenge_from
    auto serve = checkForServe(*config);
    ASSERT_FALSE(serve);
    EXPECT_EQ(serve.error().detail,
              "the configuration lacks external_url, challenge_from, smtp_url, imap_url, mail_password_file");
}

TEST(CaConfigTest, CommentsAndWhitespaceAndCrlf) {
    auto config = parseConfig("  # comment\r\n\r\n\tchallenge_from\t=\tacme@example.org  \r\n", "");
    ASSERT_TRUE(config) << config.error().detail;
    EXPECT_EQ(config->challengeFrom, "acme@example.org");
}

TEST(CaConfigTest, MissingFileIsAnIoError) {
    auto config = loadConfig("/nonexistent/sealpost-ca.conf");
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, base::ErrorCode::Io);
}

} // namespace
} // namespace sealpost::ca::app
