#include "engine/HarvestRun.h"

#include "EngineTestSupport.h"

#include <atomic>
#include <gtest/gtest.h>

namespace sealpost::engine {
namespace {

using namespace test;

class HarvestRunTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};
    std::vector<crypto::Certificate> m_anchors{loadCertificate("root-ca.cert.pem")};
    Harvester m_harvester{m_db, m_clock, {.identities = {}, .trustAnchors = m_anchors, .limits = {}}};

    // An mbox of the fixtures, in order.
    std::filesystem::path mbox(const std::vector<std::string>& files) {
        std::string text;
        for (const auto& f : files) {
            text += "From sender@example.org Thu Jan 15 12:00:00 2026\r\n" + readData(f) + "\r\n";
        }
        auto path = m_dir.path() / "box.mbox";
        store::test::writeFile(path, text);
        return path;
    }
};

TEST_F(HarvestRunTest, CountsVerdictsReportsEveryMessageInOrderAndEndsWithProgress) {
    auto source = openMbox(mbox({"signed-detached.eml", "plain.eml", "signed-tampered.eml", "signed-opaque.eml"}));
    ASSERT_TRUE(source.ok());
    std::vector<HarvestVerdict> seen;
    std::vector<HarvestProgress> progress;
    HarvestRunOptions options;
    options.onMessage = [&](const SourceMessage&, const MessageHarvest& h) { seen.push_back(h.verdict); };
    options.onProgress = [&](const HarvestProgress& p) { progress.push_back(p); };
    options.batchSize = 2;
    auto summary = harvestAll(m_db, m_harvester, **source, options);
    ASSERT_TRUE(summary.ok()) << summary.error().detail;
    EXPECT_EQ(summary->messages, 4u);
    EXPECT_EQ(seen, (std::vector{HarvestVerdict::Harvested, HarvestVerdict::NotSigned, HarvestVerdict::SignatureNotGood,
                                 HarvestVerdict::Harvested}));
    EXPECT_EQ(summary->count(HarvestVerdict::Harvested), 2u);
    EXPECT_EQ(summary->inserted, 1u);
    EXPECT_EQ(summary->unchanged, 1u) << "the opaque message carries the same certificate";
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().messages, 4u);
    EXPECT_EQ(progress.back().harvested, 2u);
    EXPECT_EQ(progress.back().bytesRead, progress.back().bytesTotal);
    EXPECT_FALSE(m_db.inTransaction()) << "the last batch is committed";
    EXPECT_EQ(certRowCount(m_db), 1);
}

TEST_F(HarvestRunTest, SecondRunOverTheSameMailLearnsNothingNew) {
    const auto path = mbox({"signed-detached.eml", "signed-opaque.eml", "triple-wrapped.eml"});
    auto first = openMbox(path);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(harvestAll(m_db, m_harvester, **first, {}).ok());
    auto second = openMbox(path);
    ASSERT_TRUE(second.ok());
    auto summary = harvestAll(m_db, m_harvester, **second, {});
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->inserted, 0u);
    EXPECT_EQ(summary->updated, 0u);
    EXPECT_EQ(summary->unchanged, 3u);
}

TEST_F(HarvestRunTest, CancellingStopsAfterTheCurrentMessageAndKeepsWhatWasDone) {
    auto source = openMbox(mbox({"signed-detached.eml", "signed-opaque.eml", "plain.eml"}));
    ASSERT_TRUE(source.ok());
    std::atomic<bool> cancel{false};
    HarvestRunOptions options;
    options.cancel = &cancel;
    options.onMessage = [&](const SourceMessage&, const MessageHarvest&) { cancel.store(true); };
    auto summary = harvestAll(m_db, m_harvester, **source, options);
    ASSERT_TRUE(summary.ok());
    EXPECT_TRUE(summary->cancelled);
    EXPECT_EQ(summary->messages, 1u);
    EXPECT_FALSE(m_db.inTransaction());
    EXPECT_EQ(certRowCount(m_db), 1) << "the message harvested before cancelling is committed";
}

TEST_F(HarvestRunTest, UnreadableMessageIsCountedAndTheRunGoesOn) {
    auto source = openMbox(mbox({"signed-detached.eml", "plain.eml"}), {.maxMessageBytes = 2000});
    ASSERT_TRUE(source.ok());
    auto summary = harvestAll(m_db, m_harvester, **source, {});
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->messages, 2u);
    EXPECT_EQ(summary->count(HarvestVerdict::Unreadable), 1u) << "the signed fixture is over 2000 bytes";
    EXPECT_EQ(summary->count(HarvestVerdict::NotSigned), 1u);
}

} // namespace
} // namespace sealpost::engine
