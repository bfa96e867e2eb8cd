#include "engine/BulkSend.h"

#include "../store/StoreTestSupport.h"
#include "engine/BulkJournal.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace sealpost;
using namespace sealpost::engine;

namespace {

using store::test::TempDir;

void writeFile(const std::filesystem::path& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void appendFile(const std::filesystem::path& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << data;
}

// ---- parseBulkLine

TEST(ParseBulkLine, ReadsEveryField) {
    TempDir dir;
    writeFile(dir.path() / "letter.txt", "Dear customer,\nyour statement.\n");
    writeFile(dir.path() / "statement.pdf", "%PDF-1.4 fake");
    auto item = parseBulkLine(
        R"({"to": ["Alice@Example.ORG", "bob@example.org", "alice@example.org"], "subject": "Ihr Kontoauszug",)"
        R"( "body_file": "letter.txt", "attachments": ["statement.pdf"], "id": "cust-42"})",
        7, dir.path());
    ASSERT_TRUE(item.ok()) << item.error().detail;
    EXPECT_EQ(item->line, 7U);
    EXPECT_EQ(item->id, "cust-42");
    EXPECT_EQ(item->to, (std::vector<std::string>{"alice@example.org", "bob@example.org"})); // normalised, once each
    EXPECT_EQ(item->subject, "Ihr Kontoauszug");
    EXPECT_EQ(item->body, "Dear customer,\nyour statement.\n");
    ASSERT_EQ(item->attachments.size(), 1U);
    EXPECT_EQ(item->attachments[0].fileName, "statement.pdf");
    EXPECT_EQ(item->attachments[0].data, "%PDF-1.4 fake");
}

TEST(ParseBulkLine, AcceptsASingleAddressAndAnInlineBody) {
    auto item = parseBulkLine(R"({"to": "carol@example.org", "subject": "Hi", "body": "Hello"})", 1, ".");
    ASSERT_TRUE(item.ok()) << item.error().detail;
    EXPECT_EQ(item->to, std::vector<std::string>{"carol@example.org"});
    EXPECT_EQ(item->body, "Hello");
    EXPECT_TRUE(item->id.empty());
    EXPECT_TRUE(item->attachments.empty());
}

TEST(ParseBulkLine, RefusesBadLinesNamingTheLine) {
    TempDir dir;
    const std::vector<std::string> bad = {
        "not json",
        R"(["to", "a@example.org"])",
        R"({"subject": "no recipient", "body": "x"})",
        R"({"to": [], "body": "x"})",
        R"({"to": "not-an-address", "body": "x"})",
        R"({"to": ["a@example.org", 5], "body": "x"})",
        R"({"to": "a@example.org", "subject": 3})",
        R"({"to": "a@example.org", "subject": "two\nlines"})",
        R"({"to": "a@example.org", "body": "x", "body_file": "y.txt"})",
        R"({"to": "a@example.org", "body_file": "missing.txt"})",
        R"({"to": "a@example.org", "attachments": ["missing.pdf"]})",
        R"({"to": "a@example.org", "attachments": "one.pdf"})",
        R"({"to": "a@example.org", "cc": "b@example.org"})",
        R"({"to": "a@example.org", "body_file": "/dev/zero"})",     // a device would never end
        R"({"to": "a@example.org", "attachments": ["/dev/zero"]})", // nor as an attachment
        R"({"to": "a@example.org", "body_file": "."})",             // a directory
    };
    for (const auto& line : bad) {
        auto item = parseBulkLine(line, 12, dir.path());
        ASSERT_FALSE(item.ok()) << line;
        EXPECT_EQ(item.error().code, base::ErrorCode::MalformedInput) << line;
        EXPECT_EQ(item.error().detail.rfind("line 12: ", 0), 0U) << item.error().detail;
    }
}

TEST(BulkMessageId, IsTheSameForTheSameBatchAndLine) {
    const std::string sha(64, 'a');
    EXPECT_EQ(bulkMessageId(sha, 5, "bank@example.org"), bulkMessageId(sha, 5, "bank@example.org"));
    EXPECT_NE(bulkMessageId(sha, 5, "bank@example.org"), bulkMessageId(sha, 6, "bank@example.org"));
    EXPECT_NE(bulkMessageId(sha, 5, "bank@example.org"), bulkMessageId(std::string(64, 'b'), 5, "bank@example.org"));
    EXPECT_EQ(bulkMessageId(sha, 5, "bank@example.org"), "<bulk.aaaaaaaaaaaaaaaaaaaaaaaa.5@example.org>");
}

TEST(BulkOutcome, HasStableNames) {
    EXPECT_EQ(bulkOutcomeName(BulkOutcome::Encrypted), "encrypted");
    EXPECT_EQ(bulkOutcomeName(BulkOutcome::Unconfirmed), "unconfirmed");
    EXPECT_EQ(bulkOutcomeName(BulkOutcome::AlreadyDone), "already-done");
}

// ---- fingerprint and journal

TEST(FingerprintBatch, CountsItemsNotBlankLines) {
    TempDir dir;
    const auto batch = dir.path() / "b.jsonl";
    writeFile(batch, "{\"to\":\"a@x.org\"}\n\n  \r\n{\"to\":\"b@x.org\"}\n{\"to\":\"c@x.org\"}"); // no final line end
    auto fp = fingerprintBatch(batch);
    ASSERT_TRUE(fp.ok()) << fp.error().detail;
    EXPECT_EQ(fp->items, 3U);
    EXPECT_EQ(fp->lines, 5U);
    EXPECT_EQ(fp->size, readFile(batch).size());
    EXPECT_EQ(fp->sha256.size(), 64U);
    writeFile(batch, "{\"to\":\"a@x.org\"}\n");
    auto other = fingerprintBatch(batch);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->sha256, fp->sha256);
    EXPECT_FALSE(fingerprintBatch(dir.path() / "missing.jsonl").ok());
}

class BulkJournalTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_batchFile = m_dir.path() / "batch.jsonl";
        writeFile(m_batchFile,
                  "{\"to\":\"a@x.org\"}\n{\"to\":\"b@x.org\"}\n{\"to\":\"c@x.org\"}\n{\"to\":\"d@x.org\"}\n");
        auto fp = fingerprintBatch(m_batchFile);
        ASSERT_TRUE(fp.ok());
        m_batch = *fp;
        m_journalFile = m_dir.path() / "batch.jsonl.journal";
    }

    TempDir m_dir;
    std::filesystem::path m_batchFile;
    std::filesystem::path m_journalFile;
    BatchFingerprint m_batch;
};

TEST_F(BulkJournalTest, ANewJournalKnowsNothingAndNamesTheBatch) {
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok()) << journal.error().detail;
        for (std::size_t line = 0; line <= 5; ++line) {
            EXPECT_EQ(journal->stateOf(line), JournalState::None);
        }
    }
    EXPECT_EQ(readFile(m_journalFile), journalHeader(m_batch) + "\n");
}

TEST_F(BulkJournalTest, AReopenedJournalHasTheLastStateOfEachLine) {
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok());
        ASSERT_TRUE(journal->recordInFlight(1).ok());
        ASSERT_TRUE(journal->recordDone(1, true).ok());
        ASSERT_TRUE(journal->recordInFlight(2).ok()); // the process "died" before the reply
        ASSERT_TRUE(journal->recordInFlight(3).ok());
        ASSERT_TRUE(journal->recordRefused(3).ok()); // refused after the end of data: not delivered
        ASSERT_TRUE(journal->recordInFlight(4).ok());
        ASSERT_TRUE(journal->recordDone(4, false).ok());
    }
    auto journal = BulkJournal::open(m_journalFile, m_batch, false);
    ASSERT_TRUE(journal.ok()) << journal.error().detail;
    EXPECT_EQ(journal->stateOf(1), JournalState::DoneEncrypted);
    EXPECT_EQ(journal->stateOf(2), JournalState::InFlight);
    EXPECT_EQ(journal->stateOf(3), JournalState::Refused);
    EXPECT_EQ(journal->stateOf(4), JournalState::DonePlain);
}

TEST_F(BulkJournalTest, ATornLastRecordIsIgnoredAndCutOff) {
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok());
        ASSERT_TRUE(journal->recordInFlight(2).ok());
        ASSERT_TRUE(journal->recordInFlight(3).ok());
    }
    // Killed while writing "D 2 encrypted\n" and, in another case, "D 3 plain\n" cut to "D 3": a
    // record without its line end never counts, however well it parses.
    appendFile(m_journalFile, "D 2 encrypted\nD 3");
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok()) << journal.error().detail;
        EXPECT_EQ(journal->stateOf(2), JournalState::DoneEncrypted);
        EXPECT_EQ(journal->stateOf(3), JournalState::InFlight); // unconfirmed, not sent again
        EXPECT_EQ(readFile(m_journalFile).back(), '\n');        // the torn bytes are gone
        ASSERT_TRUE(journal->recordInFlight(4).ok());           // and new records stay separate
        ASSERT_TRUE(journal->recordDone(4, true).ok());
    }
    auto journal = BulkJournal::open(m_journalFile, m_batch, true);
    ASSERT_TRUE(journal.ok()) << journal.error().detail;
    EXPECT_EQ(journal->stateOf(3), JournalState::InFlight);
    EXPECT_EQ(journal->stateOf(4), JournalState::DoneEncrypted);
}

TEST_F(BulkJournalTest, ATornHeaderIsWrittenAgain) {
    writeFile(m_journalFile, journalHeader(m_batch).substr(0, 30));
    auto journal = BulkJournal::open(m_journalFile, m_batch, true);
    ASSERT_TRUE(journal.ok()) << journal.error().detail;
    EXPECT_EQ(readFile(m_journalFile), journalHeader(m_batch) + "\n");
}

TEST_F(BulkJournalTest, TheJournalOfAnotherBatchIsRefused) {
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok());
        ASSERT_TRUE(journal->recordInFlight(1).ok());
    }
    writeFile(m_batchFile, "{\"to\":\"someone-else@x.org\"}\n");
    auto other = fingerprintBatch(m_batchFile);
    ASSERT_TRUE(other.ok());
    auto journal = BulkJournal::open(m_journalFile, *other, true);
    ASSERT_FALSE(journal.ok());
    EXPECT_EQ(journal.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_NE(journal.error().detail.find("different batch file"), std::string::npos) << journal.error().detail;
}

TEST_F(BulkJournalTest, AFileThatIsNotAJournalIsRefused) {
    writeFile(m_journalFile, "precious data\n");
    auto journal = BulkJournal::open(m_journalFile, m_batch, true);
    ASSERT_FALSE(journal.ok());
    EXPECT_EQ(journal.error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(readFile(m_journalFile), "precious data\n"); // untouched
}

TEST_F(BulkJournalTest, OneRunAtATime) {
    auto first = BulkJournal::open(m_journalFile, m_batch, true);
    ASSERT_TRUE(first.ok());
    auto second = BulkJournal::open(m_journalFile, m_batch, true);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(BulkJournalTest, ConcurrentWritersKeepEveryRecordWhole) {
    {
        auto journal = BulkJournal::open(m_journalFile, m_batch, true);
        ASSERT_TRUE(journal.ok());
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < 4; ++t) {
            threads.emplace_back([&journal, t] {
                for (std::size_t i = 0; i < 200; ++i) {
                    const std::size_t line = 1 + (t * 200 + i) % 4;
                    EXPECT_TRUE(journal->recordInFlight(line).ok());
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    const std::string text = readFile(m_journalFile);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, journalHeader(m_batch));
    std::size_t records = 0;
    while (std::getline(lines, line)) {
        ++records;
        EXPECT_TRUE(line == "S 1" || line == "S 2" || line == "S 3" || line == "S 4") << line;
    }
    EXPECT_EQ(records, 800U);
}

} // namespace
