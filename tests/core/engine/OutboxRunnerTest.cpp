#include "engine/OutboxRunner.h"

#include "SmtpTestPeer.h"
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

std::int64_t addPeerAccount(store::Database& db, int port) {
    store::Account a;
    a.address = "alice@example.org";
    a.imap.host = a.smtp.host = "127.0.0.1";
    a.imap.port = 1;
    a.smtp.port = port;
    a.smtp.security = mail::Security::Plain;
    a.smtp.stallTimeout = std::chrono::seconds(5);
    auto id = store::AccountStore(db).add(a);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().detail);
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

TEST(OutboxRunnerTest, ConnectionLostAfterEndOfDataHoldsTheMessageForTheUser) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    test::SmtpTestPeer peer;
    peer.setAfterData(test::SmtpTestPeer::AfterData::Drop);
    const auto id = queue(outbox, addPeerAccount(p.db(), peer.port()), "<held@x>");
    int filings = 0;
    OutboxRunner runner(p.db(), clock, [&](const store::OutboxMessage&) -> base::Result<void> {
        ++filings;
        return base::Ok{};
    });

    auto first = runner.flush({});
    ASSERT_TRUE(first.ok()) << first.error().detail;
    ASSERT_EQ(first->results.size(), 1U);
    EXPECT_EQ(first->results[0].outcome, DeliveryOutcome::Unconfirmed);
    ASSERT_TRUE(first->results[0].error.has_value());
    EXPECT_EQ(peer.endsOfData(), 1);
    auto held = outbox.get(id);
    EXPECT_EQ(held->state, OutboxState::Unconfirmed);
    EXPECT_EQ(held->unknownOutcomes, 1);
    EXPECT_NE(held->lastError.find("probably has it"), std::string::npos);
    ASSERT_EQ(first->unconfirmed.size(), 1U);
    EXPECT_EQ(first->unconfirmed[0].id, id);
    EXPECT_EQ(filings, 0);

    // Later flushes, even forced ones, neither send nor file it; they keep reporting it.
    FlushOptions force;
    force.force = true;
    auto second = runner.flush(force);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(second->results.empty());
    EXPECT_TRUE(second->filedLater.empty());
    ASSERT_EQ(second->unconfirmed.size(), 1U);
    EXPECT_EQ(peer.endsOfData(), 1);
    EXPECT_EQ(filings, 0);

    // The user knows it arrived: it is filed in Sent, never sent again.
    ASSERT_TRUE(outbox.confirm(id).ok());
    auto third = runner.flush(force);
    ASSERT_TRUE(third.ok());
    ASSERT_EQ(third->filedLater.size(), 1U);
    EXPECT_TRUE(third->filedLater[0].filed);
    EXPECT_TRUE(third->unconfirmed.empty());
    EXPECT_EQ(outbox.get(id)->state, OutboxState::Done);
    EXPECT_EQ(filings, 1);
    EXPECT_EQ(peer.endsOfData(), 1);
}

TEST(OutboxRunnerTest, RequeuedUnconfirmedMessageIsSentAgain) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    test::SmtpTestPeer peer;
    peer.setAfterData(test::SmtpTestPeer::AfterData::Drop);
    const auto id = queue(outbox, addPeerAccount(p.db(), peer.port()), "<again@x>");
    OutboxRunner runner(p.db(), clock, [](const store::OutboxMessage&) -> base::Result<void> { return base::Ok{}; });
    ASSERT_TRUE(runner.flush({}).ok());
    ASSERT_EQ(outbox.get(id)->state, OutboxState::Unconfirmed);

    peer.setAfterData(test::SmtpTestPeer::AfterData::Accept);
    ASSERT_TRUE(outbox.requeue(id).ok()); // the user accepts a possible duplicate
    auto report = runner.flush({});
    ASSERT_TRUE(report.ok()) << report.error().detail;
    ASSERT_EQ(report->results.size(), 1U);
    EXPECT_EQ(report->results[0].outcome, DeliveryOutcome::Sent);
    EXPECT_TRUE(report->results[0].filed);
    EXPECT_EQ(peer.endsOfData(), 2);
    const auto m = outbox.get(id);
    EXPECT_EQ(m->state, OutboxState::Done);
    EXPECT_EQ(m->attempts, 2);
    EXPECT_EQ(m->unknownOutcomes, 1);
}

TEST(OutboxRunnerTest, RefusalOfTheEndOfDataIsDefiniteAndRetried) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    test::SmtpTestPeer peer;
    peer.setAfterData(test::SmtpTestPeer::AfterData::Refuse);
    const auto id = queue(outbox, addPeerAccount(p.db(), peer.port()), "<refused@x>");
    OutboxRunner runner(p.db(), clock);
    auto report = runner.flush({});
    ASSERT_TRUE(report.ok()) << report.error().detail;
    ASSERT_EQ(report->results.size(), 1U);
    EXPECT_EQ(report->results[0].outcome, DeliveryOutcome::RetryLater);
    EXPECT_TRUE(report->unconfirmed.empty());
    const auto m = outbox.get(id);
    EXPECT_EQ(m->state, OutboxState::Queued);
    EXPECT_EQ(m->unknownOutcomes, 0);
    EXPECT_NE(m->lastError.find("451"), std::string::npos);
}

TEST(OutboxRunnerTest, RecoveredAfterEndOfDataIsHeldAndNotSent) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    const auto account = addUnreachableAccount(p.db());
    const auto before = queue(outbox, account, "<before@x>");
    const auto after = queue(outbox, account, "<after@x>");
    const std::string dead = "0:0"; // no process has pid 0
    ASSERT_TRUE(*outbox.claim(before, dead));
    ASSERT_TRUE(*outbox.claim(after, dead));
    ASSERT_TRUE(outbox.markDataComplete(after).ok());

    OutboxRunner runner(p.db(), clock);
    FlushOptions force;
    force.force = true;
    auto report = runner.flush(force);
    ASSERT_TRUE(report.ok()) << report.error().detail;
    ASSERT_EQ(report->recovered.size(), 2U);
    for (const auto& r : report->recovered) {
        EXPECT_EQ(r.outcomeUnknown, r.id == after);
    }
    ASSERT_EQ(report->results.size(), 1U); // only the one that certainly did not reach the server
    EXPECT_EQ(report->results[0].id, before);
    ASSERT_EQ(report->unconfirmed.size(), 1U);
    EXPECT_EQ(report->unconfirmed[0].id, after);
    EXPECT_EQ(outbox.get(after)->state, OutboxState::Unconfirmed);
    EXPECT_EQ(outbox.get(after)->attempts, 1);
}

TEST(OutboxRunnerTest, OnlyTheCopyCarryingTheSentCopyIsFiledAndWithThatCopy) {
    TempProfile p;
    const base::SystemClock clock;
    store::Outbox outbox(p.db(), clock);
    test::SmtpTestPeer peer;
    const auto account = addPeerAccount(p.db(), peer.port());
    const std::vector<std::string> bob{"bob@example.org"};
    const std::vector<std::string> carol{"carol@example.org"};
    const std::string wire = "From: alice@example.org\nTo: bob@example.org\nMessage-ID: <c@x>\n\nhi\n";
    const std::string sent = "From: alice@example.org\nTo: bob@example.org\nBcc: carol@example.org\n"
                             "Message-ID: <c@x>\n\nhi\n";
    auto main = outbox.queue(account, {.messageId = "<c@x>",
                                       .raw = wire,
                                       .envelopeFrom = "alice@example.org",
                                       .envelopeTo = bob,
                                       .copy = "",
                                       .sentCopy = sent});
    auto bcc = outbox.queue(account, {.messageId = "<c@x>",
                                      .raw = wire,
                                      .envelopeFrom = "alice@example.org",
                                      .envelopeTo = carol,
                                      .copy = "bcc:carol@example.org",
                                      .sentCopy = std::nullopt});
    ASSERT_TRUE(main.ok() && bcc.ok());
    std::vector<std::string> filed;
    OutboxRunner runner(p.db(), clock, [&](const store::OutboxMessage& m) -> base::Result<void> {
        filed.push_back(m.hasSentCopy ? m.sentCopy : m.raw);
        return base::Ok{};
    });
    auto report = runner.flush({.progress = {},
                                .cancel = nullptr,
                                .force = false,
                                .onlyMessage = std::nullopt,
                                .onlyMessages = {main->id, bcc->id}});
    ASSERT_TRUE(report.ok()) << report.error().detail;
    ASSERT_EQ(report->results.size(), 2U);
    EXPECT_EQ(peer.endsOfData(), 2) << "one SMTP transaction per copy";
    EXPECT_TRUE(report->results[0].filed);
    EXPECT_FALSE(report->results[1].filed) << "a Bcc copy is not filed";
    EXPECT_EQ(filed, std::vector<std::string>{sent}) << "the Sent copy (with Bcc), once";
    EXPECT_EQ(outbox.get(main->id)->state, OutboxState::Done);
    EXPECT_EQ(outbox.get(bcc->id)->state, OutboxState::Done) << "sent -> done without filing";
}
