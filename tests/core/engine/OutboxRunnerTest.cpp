#include "engine/OutboxRunner.h"

#include "store/AccountStore.h"
#include "store/Outbox.h"

#include <atomic>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace sealpost;
using namespace sealpost::engine;
using store::OutboxState;

namespace {

class TempProfile {
public:
    TempProfile() {
        static std::atomic<int> counter{0};
        m_dir = std::filesystem::temp_directory_path() /
                ("sealpost-runner-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(m_dir);
        auto db =
            store::Database::open(m_dir / "profile.db", base::SecureString("pass"), store::OpenMode::CreateIfMissing);
        EXPECT_TRUE(db.ok());
        m_db.emplace(std::move(db).value());
    }
    TempProfile(const TempProfile&) = delete;
    TempProfile& operator=(const TempProfile&) = delete;
    TempProfile(TempProfile&&) = delete;
    TempProfile& operator=(TempProfile&&) = delete;
    ~TempProfile() {
        m_db.reset();
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }
    store::Database& db() { return *m_db; }

private:
    std::filesystem::path m_dir;
    std::optional<store::Database> m_db;
};

// An account whose SMTP server does not exist: port 1 on this machine refuses connections.
std::int64_t addUnreachableAccount(store::Database& db) {
    store::Account a;
    a.address = "alice@example.org";
    a.imap.host = a.smtp.host = "127.0.0.1";
    a.imap.port = 1;
    a.smtp.port = 1;
    a.smtp.security = mail::Security::ImplicitTls;
    auto id = store::AccountStore(db).add(a);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
}

std::int64_t queue(store::Outbox& outbox, std::int64_t account, const std::string& messageId) {
    const std::string raw = "From: alice@example.org\nTo: bob@example.org\nMessage-ID: " + messageId + "\n\nhi\n";
    auto q = outbox.queue(account, messageId, raw, "alice@example.org", {"bob@example.org"});
    EXPECT_TRUE(q.ok());
    return q.ok() ? q->id : 0;
}

} // namespace

TEST(OutboxRunnerTest, AcceptedMessagesAreFiledInSentUntilTheStepSucceeds) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    const auto account = addUnreachableAccount(p.db());
    const auto id = queue(outbox, account, "<filed@x>");
    ASSERT_TRUE(*outbox.claim(id, "someone"));
    ASSERT_TRUE(outbox.markSent(id)); // as if a process died right after the server's 250

    int calls = 0;
    bool sentFolderWorks = false;
    OutboxRunner runner(p.db(), clock, [&](const store::OutboxMessage& m) -> base::Result<void> {
        ++calls;
        EXPECT_EQ(m.messageId, "<filed@x>");
        EXPECT_NE(m.raw.find("hi\n"), std::string::npos); // the stored copy, for the APPEND
        if (!sentFolderWorks) {
            return base::makeError(base::ErrorCode::Unreachable, "imap down");
        }
        return base::Ok{};
    });
    auto first = runner.flush({});
    ASSERT_TRUE(first.ok()) << first.error().detail;
    ASSERT_EQ(first->filedLater.size(), 1U);
    EXPECT_FALSE(first->filedLater[0].filed);
    ASSERT_TRUE(first->filedLater[0].error.has_value());
    EXPECT_EQ(outbox.get(id)->state, OutboxState::Sent); // never sent again, still to be filed
    EXPECT_TRUE(first->results.empty());

    sentFolderWorks = true;
    auto second = runner.flush({});
    ASSERT_TRUE(second.ok());
    ASSERT_EQ(second->filedLater.size(), 1U);
    EXPECT_TRUE(second->filedLater[0].filed);
    EXPECT_EQ(outbox.get(id)->state, OutboxState::Done);
    EXPECT_EQ(calls, 2);
}

TEST(OutboxRunnerTest, UnreachableServerDefersEveryMessageOfTheAccount) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    const auto account = addUnreachableAccount(p.db());
    for (int i = 0; i < 3; ++i) {
        queue(outbox, account, "<down-" + std::to_string(i) + "@x>");
    }
    OutboxRunner runner(p.db(), clock);
    std::size_t progressCalls = 0;
    FlushOptions options;
    options.progress = [&](std::size_t, std::size_t total, const std::string&) {
        ++progressCalls;
        EXPECT_EQ(total, 3U);
    };
    auto report = runner.flush(options);
    ASSERT_TRUE(report.ok()) << report.error().detail;
    ASSERT_EQ(report->results.size(), 3U);
    EXPECT_EQ(progressCalls, 3U);
    for (const auto& r : report->results) {
        EXPECT_EQ(r.outcome, DeliveryOutcome::RetryLater);
        ASSERT_TRUE(r.error.has_value());
        EXPECT_EQ(r.error->code, base::ErrorCode::Unreachable);
        const auto m = outbox.get(r.id);
        EXPECT_EQ(m->state, OutboxState::Queued);
        EXPECT_EQ(m->attempts, 1);
        EXPECT_EQ(m->nextAttempt, r.nextAttempt);
        EXPECT_EQ(m->unknownOutcomes, 0);
    }
    // Not due again before the back-off; --force sends anyway.
    auto again = runner.flush({});
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->results.empty());
    FlushOptions force;
    force.force = true;
    auto forced = runner.flush(force);
    ASSERT_TRUE(forced.ok());
    EXPECT_EQ(forced->results.size(), 3U);
}

TEST(OutboxRunnerTest, CancelStopsBeforeTheNextMessage) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    const auto account = addUnreachableAccount(p.db());
    queue(outbox, account, "<c@x>");
    std::atomic<bool> cancel{true};
    FlushOptions options;
    options.cancel = &cancel;
    OutboxRunner runner(p.db(), clock);
    auto report = runner.flush(options);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, base::ErrorCode::Cancelled);
    EXPECT_EQ(outbox.list()->front().state, OutboxState::Queued);
}

TEST(OutboxRunnerTest, ProcessOwner) {
    const std::string me = currentProcessOwner();
    EXPECT_TRUE(processOwnerAlive(me));
    EXPECT_FALSE(processOwnerAlive(std::to_string(::getpid()) + ":1")); // same pid, other start time
    EXPECT_FALSE(processOwnerAlive("garbage"));
}
