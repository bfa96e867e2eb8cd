#include "engine/DirectoryUploader.h"

#include "../directory/DirectoryTestSupport.h"
#include "directory/Address.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::engine;
using namespace std::chrono_literals;
using directory::test::fixtureCert;
using directory::test::kTestNow;
using Json = nlohmann::json;

namespace {

class DirectoryUploaderTest : public ::testing::Test {
protected:
    DirectoryUploaderTest() {
        directory::ClientOptions options;
        options.baseUrl = m_stub.url();
        m_client = std::make_unique<directory::DirectoryClient>(options);
        const std::vector<crypto::Certificate> chain{m_intermediate};
        EXPECT_TRUE(m_queue.enqueue(m_alice, chain, store::UploadProvenance::Harvested, kTestNow).ok());
        EXPECT_TRUE(m_queue.enqueue(m_bob, chain, store::UploadProvenance::Self, kTestNow).ok());
    }

    UploadRunSummary run(const UploadRunOptions& options = {}) {
        auto r = uploadPending(m_db, m_clock, *m_client, options);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
        return r.ok() ? *r : UploadRunSummary{};
    }

    Json accepted(const crypto::Certificate& c) {
        return {{"results",
                 {{{"status", "accepted"},
                   {"fingerprint_sha256", c.sha256Fingerprint()},
                   {"addresses_sha256", Json::array()}}}}};
    }

    directory::test::DirectoryStub m_stub;
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pass");
    base::FixedClock m_clock{kTestNow};
    store::DirectoryUploadQueue m_queue{m_db};
    std::unique_ptr<directory::DirectoryClient> m_client;
    crypto::Certificate m_alice = fixtureCert("alice.cert.pem");
    crypto::Certificate m_bob = fixtureCert("bob.cert.pem");
    crypto::Certificate m_intermediate = fixtureCert("intermediate-ca.cert.pem");
};

} // namespace

TEST(UploadBackoffTest, OneTenHundredMinutesThenHourly) {
    EXPECT_EQ(uploadBackoff(1), 1min);
    EXPECT_EQ(uploadBackoff(2), 10min);
    EXPECT_EQ(uploadBackoff(3), 100min);
    EXPECT_EQ(uploadBackoff(4), 60min);
    EXPECT_EQ(uploadBackoff(50), 60min);
}

TEST_F(DirectoryUploaderTest, AcceptedEntriesAreDoneWithProvenanceSent) {
    m_stub.answerJson(201, accepted(m_alice));
    std::vector<UploadProgress> progress;
    UploadRunOptions options;
    options.onProgress = [&](const UploadProgress& p) { progress.push_back(p); };
    const auto summary = run(options);
    ASSERT_EQ(summary.outcomes.size(), 2U);
    EXPECT_EQ(summary.outcomes[0].result, UploadResult::Accepted);
    EXPECT_EQ(m_queue.counts()->done, 2);
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(requests[0]["path"], "/v1/certs?provenance=harvested");
    EXPECT_EQ(requests[1]["path"], "/v1/certs?provenance=self");
    EXPECT_EQ(requests[0]["body"], m_alice.pem() + m_intermediate.pem());
    ASSERT_EQ(progress.size(), 2U);
    EXPECT_EQ(progress[1].done, 2U);
    EXPECT_EQ(progress[1].total, 2U);
    EXPECT_TRUE(run().outcomes.empty()) << "nothing left to upload";
}

TEST_F(DirectoryUploaderTest, RejectionIsFinal) {
    m_stub.answerJson(422, {{"error", "rejected"}, {"reason", "untrusted"}, {"detail", "no path"}});
    const auto summary = run();
    ASSERT_EQ(summary.outcomes.size(), 2U);
    EXPECT_EQ(summary.outcomes[0].result, UploadResult::Rejected);
    EXPECT_EQ(summary.outcomes[0].reason, "untrusted");
    const auto entry = m_queue.find(m_alice.sha256Fingerprint());
    EXPECT_EQ((*entry)->state, store::UploadState::Rejected);
    EXPECT_EQ((*entry)->rejectionReason, "untrusted");
    UploadRunOptions all;
    all.all = true;
    EXPECT_TRUE(run(all).outcomes.empty());
}

TEST_F(DirectoryUploaderTest, ServerErrorBacksOffAndTheNextEntryIsTried) {
    m_stub.answerJson(503, {{"error", "unavailable"}, {"detail", "db"}});
    const auto summary = run();
    ASSERT_EQ(summary.outcomes.size(), 2U);
    EXPECT_EQ(summary.outcomes[0].result, UploadResult::Failed);
    EXPECT_EQ(summary.outcomes[0].nextAttempt, kTestNow + 1min);
    EXPECT_FALSE(summary.stoppedBy.has_value());
    EXPECT_TRUE(run().outcomes.empty()) << "not due again yet";
    // Second failure: 10 minutes.
    m_clock = base::FixedClock(kTestNow + 1min);
    const auto second = run();
    ASSERT_EQ(second.outcomes.size(), 2U);
    EXPECT_EQ(second.outcomes[0].nextAttempt, kTestNow + 1min + 10min);
    EXPECT_EQ((*m_queue.find(m_alice.sha256Fingerprint()))->attempts, 2);
}

TEST_F(DirectoryUploaderTest, RateLimitHonoursRetryAfterAndStops) {
    m_stub.answer(429, R"({"error": "rate-limited", "detail": "slow", "retry_after": 120})", "application/json",
                  {{"headers", {{"Retry-After", "120"}}}});
    const auto summary = run();
    ASSERT_EQ(summary.outcomes.size(), 1U);
    EXPECT_EQ(summary.outcomes[0].result, UploadResult::RateLimited);
    EXPECT_EQ(summary.outcomes[0].nextAttempt, kTestNow + 120s);
    ASSERT_TRUE(summary.stoppedBy.has_value());
    EXPECT_EQ(m_stub.requests().size(), 1U);
}

TEST_F(DirectoryUploaderTest, UnreachableStopsTheRun) {
    directory::ClientOptions options;
    options.baseUrl = "http://127.0.0.1:1";
    directory::DirectoryClient down(options);
    auto summary = uploadPending(m_db, m_clock, down, {});
    ASSERT_TRUE(summary.ok());
    ASSERT_EQ(summary->outcomes.size(), 1U);
    ASSERT_TRUE(summary->stoppedBy.has_value());
    EXPECT_EQ(summary->stoppedBy->code, base::ErrorCode::Unreachable);
    EXPECT_EQ(m_queue.counts()->queued, 2);
}

TEST_F(DirectoryUploaderTest, CancellationStopsBetweenEntries) {
    m_stub.answerJson(201, accepted(m_alice));
    int asked = 0;
    const auto summary = run({.all = false, .limit = 1000, .onProgress = {}, .cancelled = [&] { return ++asked > 1; }});
    EXPECT_TRUE(summary.cancelled);
    EXPECT_EQ(summary.outcomes.size(), 1U);
}
