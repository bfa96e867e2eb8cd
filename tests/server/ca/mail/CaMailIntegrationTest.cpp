// The challenge round trip through real mail servers (tests/mail/mailserver.sh: Postfix + Dovecot):
// the CA's SmtpChallengeMailer sends a signed challenge to the user's mailbox; the user side reads
// it over IMAP, opens and recognises it, and sends the (DKIM-signed) reply to the CA's mailbox over
// SMTP; the CA's ReplyPoller hands it to a recording ReplySink and empties the mailbox.
// Run by with-mailserver.sh; skipped without the fixture.

#include "../../../core/mail/MailFixtureEnv.h"
#include "../../../core/smime/SmimeTestSupport.h"
#include "DkimTestSigner.h"
#include "acme/EmailChallenge.h"
#include "ca/mail/DkimVerifier.h"
#include "ca/mail/ReplyPoller.h"
#include "ca/mail/SmtpChallengeMailer.h"
#include "crypto/PublicKey.h"
#include "mail/Envelope.h"
#include "mail/ImapClient.h"
#include "mail/SmtpClient.h"

#include <gtest/gtest.h>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace sealpost::ca::mail {
namespace {

using namespace std::chrono_literals;
using namespace smime::test;
namespace fs = std::filesystem;

// The CA's mailbox is Alice's (her certificate from tests/data is the mail-signing one); Bob enrols.
constexpr std::string_view kCa = "alice@example.org";
constexpr std::string_view kUser = "bob@example.org";
constexpr std::string_view kToken1 = "Zm9vYmFyLWNoYWxsZW5nZS0x";
constexpr std::string_view kToken2 = "c2Vjb25kLWhhbGYtb2YtaXQy";

class RecordingSink final : public ReplySink {
public:
    [[nodiscard]] base::Result<ReplyVerdict> acceptReply(const ChallengeReply& reply) override {
        const std::lock_guard lock(m_mutex);
        m_replies.push_back(reply);
        return ReplyVerdict::Accepted;
    }
    [[nodiscard]] std::vector<ChallengeReply> replies() const {
        const std::lock_guard lock(m_mutex);
        return m_replies;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<ChallengeReply> m_replies;
};

// Fails every call, as a challenge store that is down would.
class FailingSink final : public ReplySink {
public:
    [[nodiscard]] base::Result<ReplyVerdict> acceptReply(const ChallengeReply& /*reply*/) override {
        ++calls;
        return base::makeError(base::ErrorCode::Io, "store down");
    }
    int calls = 0;
};

class CaMailIntegrationTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_env = sealpost::test::readMailFixtureEnv();
        if (m_env.empty()) {
            GTEST_SKIP() << "SEALPOST_MAIL_ENV not set (run through with-mailserver.sh)";
        }
        m_dir = fs::temp_directory_path() / ("sealpost-ca-mail-" + std::to_string(::getpid()));
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    [[nodiscard]] sealpost::mail::ServerSettings settings(const std::string& user, bool imap) const {
        sealpost::mail::ServerSettings s;
        s.host = m_env.at("MAIL_HOST");
        s.port = std::stoi(m_env.at(imap ? "MAIL_IMAPS_PORT" : "MAIL_SUBMISSION_PORT"));
        s.security = imap ? sealpost::mail::Security::ImplicitTls : sealpost::mail::Security::StartTls;
        s.username = m_env.at("MAIL_USER_" + user);
        s.secret = m_env.at("MAIL_PASSWORD_" + user);
        s.pinnedSha256 = m_env.at("MAIL_CERT_SHA256");
        return s;
    }

    // Waits for a message whose header contains `needle` in the user's INBOX and returns it.
    [[nodiscard]] std::string waitForMessage(sealpost::mail::ImapClient& imap, std::string_view needle) const {
        for (int i = 0; i < 100; ++i) {
            auto uids = imap.searchHeader("INBOX", "Message-ID", needle);
            if (uids && !uids->empty()) {
                std::string raw;
                base::StringSink sink(raw);
                EXPECT_TRUE(imap.fetchMessage("INBOX", uids->front(), sink));
                return raw;
            }
            std::this_thread::sleep_for(200ms);
        }
        ADD_FAILURE() << "no message " << needle << " arrived";
        return {};
    }

    void submit(const std::string& user, const std::string& message) const {
        auto envelope = sealpost::mail::envelopeOf(message);
        ASSERT_TRUE(envelope) << envelope.error().detail;
        sealpost::mail::SmtpClient smtp(settings(user, false));
        sealpost::mail::SubmissionSource source(message);
        sealpost::mail::SmtpSubmission submission;
        submission.envelopeFrom = envelope->from;
        submission.recipients = &envelope->recipients;
        submission.message = &source;
        auto sent = smtp.send(submission);
        ASSERT_TRUE(sent) << sent.error().detail;
    }

    std::map<std::string, std::string> m_env;
    fs::path m_dir;
};

TEST_F(CaMailIntegrationTest, ChallengeAndReplyRoundTrip) {
    const auto now = std::chrono::system_clock::now();
    // 1. The CA sends the signed challenge to Bob.
    SmtpChallengeMailer mailer(settings("alice", false), std::string(kCa), loadIdentity("alice"));
    const std::string challengeId =
        "chall-roundtrip-" + std::to_string(now.time_since_epoch().count()) + "@example.org";
    auto sent = mailer.send(OutgoingChallenge{"c1", std::string(kUser), std::string(kToken1), challengeId, now});
    ASSERT_TRUE(sent) << sent.error().detail;

    // 2. Bob's side reads it over IMAP, opens it against the CA root and recognises it.
    sealpost::mail::ImapClient bobImap(settings("bob", true));
    const std::string challenge = waitForMessage(bobImap, challengeId);
    ASSERT_FALSE(challenge.empty());
    OpenContext ctx;
    auto options = ctx.options();
    options.at = now;
    auto opened = smime::openMessage(std::string_view(challenge), options);
    ASSERT_TRUE(opened) << opened.error().detail;
    const auto recognised = acme::recognizeChallenge(challenge, opened->report, {kCa, kUser});
    ASSERT_TRUE(recognised.recognised()) << acme::challengeRuleName(recognised.failed) << ": " << recognised.detail;
    EXPECT_EQ(recognised.tokenPart1, kToken1);
    EXPECT_EQ(recognised.messageId, challengeId);

    // 3. Bob replies, DKIM-signed for example.org, and also sends something unparseable.
    const auto accountKey = crypto::PublicKey::of(loadIdentity("bob").key);
    auto response = acme::challengeResponse(recognised.tokenPart1, kToken2, accountKey);
    ASSERT_TRUE(response) << response.error().detail;
    auto reply = acme::buildReplyMail(acme::ReplyFields{std::string(kUser), std::string(kCa), recognised.tokenPart1,
                                                        recognised.messageId, *response, now, "reply-1@example.org"});
    ASSERT_TRUE(reply) << reply.error().detail;
    const test::DkimTestSigner dkimKey("sel", "example.org");
    std::ofstream(m_dir / "keys") << dkimKey.keyFileLine();
    submit("bob", dkimKey.sign(*reply));
    submit("bob", "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: hello\r\n"
                  "Message-ID: <junk-1@example.org>\r\n\r\nnot a reply\r\n");
    sealpost::mail::ImapClient aliceImap(settings("alice", true));
    ASSERT_FALSE(waitForMessage(aliceImap, "reply-1@example.org").empty());
    ASSERT_FALSE(waitForMessage(aliceImap, "junk-1@example.org").empty());

    // 4. The CA's poller, in its loop, delivers the reply and deletes both mails.
    auto dkim = DkimVerifier::create(DkimOptions{(m_dir / "keys").string()});
    ASSERT_TRUE(dkim) << dkim.error().detail;
    RecordingSink sink;
    std::mutex logMutex;
    std::vector<std::string> log;
    ReplyPoller poller(ReplyPollerOptions{settings("alice", true)}, sink, &*dkim, [&](std::string_view line) {
        const std::lock_guard lock(logMutex);
        log.emplace_back(line);
    });
    std::thread loop([&poller] { poller.run(100ms); });
    for (int i = 0; i < 100 && sink.replies().empty(); ++i) {
        std::this_thread::sleep_for(100ms);
    }
    poller.stop();
    loop.join();

    const auto replies = sink.replies();
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_EQ(replies[0].tokenPart1, kToken1);
    EXPECT_EQ(replies[0].fromAddress, kUser);
    EXPECT_EQ(replies[0].response, *response);
    EXPECT_TRUE(replies[0].dkimVerified);
    EXPECT_EQ(replies[0].messageId, "reply-1@example.org");
    {
        const std::lock_guard lock(logMutex);
        ASSERT_EQ(log.size(), 2U);
        const std::string all = log[0] + "\n" + log[1];
        EXPECT_NE(all.find("not a challenge reply"), std::string::npos) << all;
        EXPECT_NE(all.find("dkim pass"), std::string::npos) << all;
        EXPECT_NE(all.find(": accepted"), std::string::npos) << all;
    }
    // A new session: the one above has not been told about the other session's expunges yet.
    sealpost::mail::ImapClient afterwards(settings("alice", true));
    auto left = afterwards.fetchFlags("INBOX");
    ASSERT_TRUE(left) << left.error().detail;
    EXPECT_TRUE(left->empty()) << left->size() << " messages left in the CA's mailbox";

    // A second poll of the empty mailbox finds nothing.
    auto again = poller.pollOnce();
    ASSERT_TRUE(again) << again.error().detail;
    EXPECT_EQ(again->seen, 0U);
}

TEST_F(CaMailIntegrationTest, FailedSinkKeepsTheReplyAndOversizedMailIsDeletedUnread) {
    auto reply = acme::buildReplyMail(acme::ReplyFields{std::string(kUser), std::string(kCa), std::string(kToken1),
                                                        "chall-kept@example.org", std::string(kToken2),
                                                        std::chrono::system_clock::now(), "reply-kept@example.org"});
    ASSERT_TRUE(reply);
    submit("bob", *reply);
    submit("bob", "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: Re: ACME: " + std::string(kToken1) +
                      "\r\nMessage-ID: <big-1@example.org>\r\n\r\n" + std::string(4000, 'x') + "\r\n");
    sealpost::mail::ImapClient aliceImap(settings("alice", true));
    ASSERT_FALSE(waitForMessage(aliceImap, "reply-kept@example.org").empty());
    ASSERT_FALSE(waitForMessage(aliceImap, "big-1@example.org").empty());

    std::vector<std::string> log;
    FailingSink failing;
    ReplyPollerOptions options{settings("alice", true)};
    options.maxMessageBytes = 2000;
    ReplyPoller poller(options, failing, nullptr, [&log](std::string_view line) { log.emplace_back(line); });
    auto first = poller.pollOnce();
    ASSERT_TRUE(first) << first.error().detail;
    EXPECT_EQ(first->seen, 2U);
    EXPECT_EQ(first->kept, 1U);
    EXPECT_EQ(first->rejected, 1U);
    EXPECT_EQ(first->delivered, 0U);
    EXPECT_EQ(failing.calls, 1);

    // The kept reply is delivered by the next poll, once the store works again; without a DKIM
    // verifier it is reported as not DKIM-verified.
    RecordingSink recording;
    ReplyPoller again(ReplyPollerOptions{settings("alice", true)}, recording, nullptr,
                      [&log](std::string_view line) { log.emplace_back(line); });
    auto second = again.pollOnce();
    ASSERT_TRUE(second) << second.error().detail;
    EXPECT_EQ(second->seen, 1U);
    EXPECT_EQ(second->delivered, 1U);
    const auto replies = recording.replies();
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_EQ(replies[0].response, kToken2);
    EXPECT_FALSE(replies[0].dkimVerified);
    std::string all;
    for (const auto& line : log) {
        all += line + "\n";
    }
    EXPECT_NE(all.find("kept, the challenge store failed: store down"), std::string::npos) << all;
    EXPECT_NE(all.find("over the limit"), std::string::npos) << all;
    EXPECT_NE(all.find("dkim not checked"), std::string::npos) << all;
    sealpost::mail::ImapClient afterwards(settings("alice", true));
    auto left = afterwards.fetchFlags("INBOX");
    ASSERT_TRUE(left);
    EXPECT_TRUE(left->empty());
}

} // namespace
} // namespace sealpost::ca::mail
