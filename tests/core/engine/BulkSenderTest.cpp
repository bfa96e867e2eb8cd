// BulkSender::run against an SMTP peer in the test (plain, loopback): outcomes, the
// journal across runs, a server that goes silent after the data, and a stopped run. The same
// flows through Postfix are in tests/app/bulk-e2e-test.sh.
#include "EngineTestSupport.h"
#include "SmtpTestPeer.h"
#include "engine/BulkSend.h"
#include "store/IdentityStore.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sealpost::engine {
namespace {

using namespace test;

class BulkSenderTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};
    SmtpTestPeer m_server;
    std::filesystem::path m_batch = m_dir.path() / "batch.jsonl";

    void SetUp() override {
        auto added = store::IdentityStore(m_db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Both);
        ASSERT_TRUE(added.ok()) << added.error().detail;
        rememberCorrespondent(m_db, m_clock, "bob");
        rememberCorrespondent(m_db, m_clock, "carol");
    }

    [[nodiscard]] store::Account account(int port) const {
        store::Account a;
        a.address = "alice@example.org";
        a.smtp.host = "127.0.0.1";
        a.smtp.port = port;
        a.smtp.security = mail::Security::Plain;
        a.smtp.allowPlaintext = true;
        return a;
    }

    void writeBatch(const std::vector<std::string>& recipients) {
        std::ofstream out(m_batch, std::ios::binary | std::ios::trunc);
        int n = 0;
        for (const auto& to : recipients) {
            out << R"({"to": ")" << to << R"(", "subject": "Statement )" << ++n
                << R"(", "body": "Your statement is ready.\n"})" << '\n';
        }
    }

    BulkSummary run(const BulkOptions& options, int port = 0) {
        BulkSender sender(m_db, m_clock, account(port == 0 ? m_server.port() : port), nullptr);
        auto summary = sender.run(m_batch, options);
        EXPECT_TRUE(summary.ok()) << (summary.ok() ? "" : summary.error().detail);
        return summary.ok() ? std::move(*summary) : BulkSummary{};
    }

    static BulkOptions options(unsigned parallelism = 2) {
        BulkOptions o;
        o.parallelism = parallelism;
        o.syncJournal = false; // the journal's fdatasync is not what these tests are about
        return o;
    }
};

bool isEncrypted(const Received& r) {
    return r.data.find("Content-Type: application/pkcs7-mime") != std::string::npos;
}
bool isSignedOnly(const Received& r) {
    return r.data.find("Content-Type: multipart/signed") != std::string::npos && !isEncrypted(r);
}

TEST_F(BulkSenderTest, EncryptsWhereAKeyIsKnownSendsTheRestSignedAndAResumeSendsNothingAgain) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org", "erin@example.org"});
    std::vector<BulkProgress> progress;
    BulkOptions o = options();
    o.progress = [&](const BulkProgress& p) { progress.push_back(p); };
    const BulkSummary s = run(o);
    EXPECT_EQ(s.total, 4U);
    EXPECT_EQ(s.encrypted, 2U);
    EXPECT_EQ(s.plain, 2U);
    EXPECT_EQ(s.failed + s.skipped + s.unconfirmed + s.notAttempted, 0U);
    EXPECT_FALSE(s.stoppedBy.has_value());
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().done, 4U);
    EXPECT_EQ(progress.back().total, 4U);

    const auto got = m_server.received();
    ASSERT_EQ(got.size(), 4U);
    for (const Received& r : got) {
        EXPECT_EQ(r.from, "alice@example.org");
        ASSERT_EQ(r.to.size(), 1U);
        const bool hasKey = r.to[0] == "bob@example.org" || r.to[0] == "carol@example.org";
        EXPECT_EQ(isEncrypted(r), hasKey) << r.to[0];
        EXPECT_EQ(isSignedOnly(r), !hasKey) << r.to[0];
        EXPECT_NE(r.data.find("Message-ID: <bulk."), std::string::npos) << r.data.substr(0, 400);
    }

    const BulkSummary again = run(options());
    EXPECT_EQ(again.alreadyDone, 4U);
    EXPECT_EQ(again.encrypted + again.plain + again.failed + again.unconfirmed, 0U);
    EXPECT_EQ(m_server.received().size(), 4U);
}

TEST_F(BulkSenderTest, SkipLeavesRecipientsWithoutAKeyUnsentAndSaysWhy) {
    writeBatch({"bob@example.org", "dave@example.org"});
    BulkOptions o = options();
    o.noKey = NoKeyAction::Skip;
    const BulkSummary s = run(o);
    EXPECT_EQ(s.encrypted, 1U);
    EXPECT_EQ(s.skipped, 1U);
    ASSERT_EQ(s.problems.size(), 1U);
    EXPECT_EQ(s.problems[0].line, 2U);
    EXPECT_EQ(s.problems[0].outcome, BulkOutcome::Skipped);
    EXPECT_EQ(s.problems[0].reason, "recipient-without-key");
    EXPECT_NE(s.problems[0].detail.find("dave@example.org"), std::string::npos) << s.problems[0].detail;
    const auto got = m_server.received();
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].to, std::vector<std::string>{"bob@example.org"});
}

TEST_F(BulkSenderTest, ARefusedRecipientFailsItsOwnItemOnly) {
    writeBatch({"bob@example.org", "refused@example.org", "carol@example.org"});
    const BulkSummary s = run(options(1));
    EXPECT_EQ(s.encrypted, 2U);
    EXPECT_EQ(s.failed, 1U);
    EXPECT_FALSE(s.stoppedBy.has_value());
    ASSERT_EQ(s.problems.size(), 1U);
    EXPECT_EQ(s.problems[0].line, 2U);
    EXPECT_EQ(s.problems[0].reason, "smtp-refused");
    EXPECT_NE(s.problems[0].detail.find("550"), std::string::npos) << s.problems[0].detail;
    EXPECT_EQ(m_server.received().size(), 2U);
}

// The kill -9 case at the server's end: the message was transmitted, the answer never came.
TEST_F(BulkSenderTest, NoAnswerAfterTheDataIsUnconfirmedAndNotSentAgainUnlessAsked) {
    writeBatch({"dave@example.org"});
    m_server.setAfterData(SmtpTestPeer::AfterData::Drop);
    const BulkSummary first = run(options(1));
    EXPECT_EQ(first.unconfirmed, 1U);
    ASSERT_EQ(first.problems.size(), 1U);
    EXPECT_EQ(first.problems[0].reason, "no-reply-after-data");
    EXPECT_TRUE(m_server.received().empty());
    EXPECT_EQ(m_server.endsOfData(), 1);

    m_server.setAfterData(SmtpTestPeer::AfterData::Accept);
    const BulkSummary resumed = run(options(1));
    EXPECT_EQ(resumed.unconfirmed, 1U);
    EXPECT_EQ(resumed.plain, 0U);
    EXPECT_TRUE(m_server.received().empty()); // the server may have it: not sent again on its own

    BulkOptions resend = options(1);
    resend.resendUnconfirmed = true;
    const BulkSummary forced = run(resend);
    EXPECT_EQ(forced.plain, 1U);
    EXPECT_EQ(forced.unconfirmed, 0U);
    EXPECT_EQ(m_server.received().size(), 1U);
}

TEST_F(BulkSenderTest, AnUnreachableServerStopsTheRunAndTheRestWaitsForAResume) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org"});
    const BulkSummary s = run(options(1), 1); // nothing listens on port 1
    ASSERT_TRUE(s.stoppedBy.has_value());
    EXPECT_EQ(s.stoppedBy->code, base::ErrorCode::Unreachable) << s.stoppedBy->detail;
    EXPECT_EQ(s.encrypted + s.plain, 0U);
    EXPECT_EQ(s.failed + s.notAttempted, 3U);

    const BulkSummary resumed = run(options(1)); // the server is there now
    EXPECT_EQ(resumed.encrypted, 2U);
    EXPECT_EQ(resumed.plain, 1U);
    EXPECT_EQ(m_server.received().size(), 3U);
}

TEST_F(BulkSenderTest, ACancelledRunSendsNothingMoreAndTheResumeSendsTheRest) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org"});
    const std::atomic<bool> cancel{true};
    BulkOptions o = options(1);
    o.cancel = &cancel;
    const BulkSummary s = run(o);
    EXPECT_TRUE(s.cancelled);
    EXPECT_EQ(s.notAttempted + s.encrypted + s.plain, 3U);
    const std::size_t sentBefore = m_server.received().size();
    EXPECT_EQ(sentBefore, s.encrypted + s.plain);

    const BulkSummary resumed = run(options(1));
    EXPECT_EQ(resumed.alreadyDone, sentBefore);
    EXPECT_EQ(resumed.encrypted + resumed.plain, 3U - sentBefore);
    EXPECT_EQ(m_server.received().size(), 3U);
}

TEST_F(BulkSenderTest, AnAccountWithoutASigningIdentityIsRefusedBeforeAnythingIsSent) {
    writeBatch({"bob@example.org"});
    store::Account other = account(m_server.port());
    other.address = "nobody@example.org";
    auto refused = BulkSender(m_db, m_clock, other, nullptr).run(m_batch, options());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_NE(refused.error().detail.find("nobody@example.org"), std::string::npos) << refused.error().detail;
    EXPECT_TRUE(m_server.received().empty());
}

} // namespace
} // namespace sealpost::engine
