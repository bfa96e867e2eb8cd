#include "store/Outbox.h"

#include "StoreTestSupport.h"
#include "store/AccountStore.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <thread>

using namespace sealpost;
using namespace sealpost::store;
using base::ErrorCode;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

class ManualClock final : public base::Clock {
public:
    [[nodiscard]] base::TimePoint now() const override { return m_now; }
    void advance(seconds s) { m_now += s; }
    [[nodiscard]] std::int64_t unix() const {
        return std::chrono::duration_cast<seconds>(m_now.time_since_epoch()).count();
    }

private:
    base::TimePoint m_now{seconds(1'800'000'000)};
};

std::int64_t addAccount(Database& db) {
    Account a;
    a.address = "alice@example.org";
    a.imap.host = a.smtp.host = "127.0.0.1";
    a.imap.port = 993;
    a.smtp.port = 587;
    auto id = AccountStore(db).add(a);
    EXPECT_TRUE(id) << (id ? "" : id.error().detail);
    return id ? *id : 0;
}

const std::vector<std::string> kTo{"bob@example.org", "carol@example.org"};
const std::string kRaw =
    "From: alice@example.org\nTo: bob@example.org\nBcc: carol@example.org\nMessage-ID: <m1@x>\n\nhi\n";

class OutboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_db.emplace(test::openOrFail(m_dir.path() / "profile.db", "pass"));
        m_account = addAccount(*m_db);
    }
    Outbox outbox() { return {*m_db, m_clock}; }
    std::int64_t queueOne(const std::string& messageId = "<m1@x>") {
        auto q = outbox().queue(m_account, messageId, kRaw, "alice@example.org", kTo);
        EXPECT_TRUE(q) << (q ? "" : q.error().detail);
        return q ? q->id : 0;
    }
    OutboxMessage get(std::int64_t id) {
        auto m = outbox().get(id);
        EXPECT_TRUE(m) << (m ? "" : m.error().detail);
        return m ? *m : OutboxMessage{};
    }

    test::TempDir m_dir;
    std::optional<Database> m_db;
    ManualClock m_clock;
    std::int64_t m_account = 0;
};

} // namespace

TEST(OutboxRetryTest, BackoffSchedule) {
    EXPECT_EQ(retryDelay(1), minutes(1));
    EXPECT_EQ(retryDelay(2), minutes(10));
    EXPECT_EQ(retryDelay(3), minutes(100));
    EXPECT_EQ(retryDelay(4), minutes(60));
    EXPECT_EQ(retryDelay(40), minutes(60));
}

TEST_F(OutboxTest, QueueStoresTheCopyWithBccAndIsIdempotentByMessageId) {
    const auto id = queueOne();
    const auto m = get(id);
    EXPECT_EQ(m.raw, kRaw);
    EXPECT_EQ(m.state, OutboxState::Queued);
    EXPECT_EQ(m.envelopeTo, kTo);
    EXPECT_EQ(m.attempts, 0);
    EXPECT_EQ(m.nextAttempt, m_clock.unix());

    auto again = outbox().queue(m_account, "<m1@x>", "other bytes", "alice@example.org", {"dave@example.org"});
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->added);
    EXPECT_EQ(again->id, id);
    EXPECT_EQ(get(id).raw, kRaw);
    EXPECT_EQ(outbox().list()->size(), 1U);
}

TEST_F(OutboxTest, CopiesOfOneMessageAreQueuedOnceEachAndTheMainCopyIsFound) {
    const std::vector<std::string> carol{"carol@example.org"};
    const std::vector<std::string> bob{"bob@example.org"};
    auto bcc = outbox().queue(m_account, {.messageId = "<m2@x>",
                                          .raw = "to carol",
                                          .envelopeFrom = "alice@example.org",
                                          .envelopeTo = carol,
                                          .copy = "bcc:carol@example.org",
                                          .sentCopy = std::nullopt});
    auto main = outbox().queue(m_account, {.messageId = "<m2@x>",
                                           .raw = "to bob",
                                           .envelopeFrom = "alice@example.org",
                                           .envelopeTo = bob,
                                           .copy = "",
                                           .sentCopy = "for Sent"});
    ASSERT_TRUE(bcc && main);
    EXPECT_TRUE(bcc->added && main->added);
    EXPECT_NE(bcc->id, main->id);
    auto again = outbox().queue(m_account, {.messageId = "<m2@x>",
                                            .raw = "other",
                                            .envelopeFrom = "alice@example.org",
                                            .envelopeTo = carol,
                                            .copy = "bcc:carol@example.org",
                                            .sentCopy = std::nullopt});
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->added);
    EXPECT_EQ(again->id, bcc->id);
    auto found = outbox().findByMessageId("<m2@x>");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, main->id) << "the main copy, though queued second";
    EXPECT_TRUE(found->hasSentCopy);
    const auto m = get(main->id);
    EXPECT_EQ(m.raw, "to bob");
    EXPECT_EQ(m.sentCopy, "for Sent");
    EXPECT_TRUE(m.filedInSent());
    const auto b = get(bcc->id);
    EXPECT_EQ(b.copy, "bcc:carol@example.org");
    EXPECT_FALSE(b.hasSentCopy);
    EXPECT_FALSE(b.filedInSent());
    EXPECT_EQ(outbox().copiesOf("<m2@x>")->size(), 2U);
    auto wrong = outbox().queue(m_account, {.messageId = "<m3@x>",
                                            .raw = "x",
                                            .envelopeFrom = "alice@example.org",
                                            .envelopeTo = bob,
                                            .copy = "cc:bob",
                                            .sentCopy = std::nullopt});
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::InvalidArgument);
}

TEST_F(OutboxTest, SuccessfulDelivery) {
    const auto id = queueOne();
    ASSERT_EQ(outbox().due(false)->size(), 1U);
    auto claimed = outbox().claim(id, "me");
    ASSERT_TRUE(claimed && *claimed);
    EXPECT_EQ(get(id).state, OutboxState::Sending);
    EXPECT_EQ(get(id).attempts, 1);
    EXPECT_TRUE(outbox().due(true)->empty());
    ASSERT_TRUE(outbox().markDataComplete(id));
    EXPECT_TRUE(get(id).dataComplete);
    ASSERT_TRUE(outbox().markSent(id));
    EXPECT_EQ(get(id).state, OutboxState::Sent);
    EXPECT_EQ(get(id).sentAt, m_clock.unix());
    EXPECT_EQ(*outbox().unfiled(), std::vector<std::int64_t>{id});
    ASSERT_TRUE(outbox().markFiled(id));
    EXPECT_EQ(get(id).state, OutboxState::Done);
    EXPECT_TRUE(outbox().unfiled()->empty());
    // Each step only from its own state.
    EXPECT_EQ(outbox().markSent(id).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(outbox().markFiled(id).error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(*outbox().claim(id, "me"));
}

TEST_F(OutboxTest, TemporaryFailuresBackOff) {
    const auto id = queueOne();
    const std::array<seconds, 5> expected{minutes(1), minutes(10), minutes(100), minutes(60), minutes(60)};
    for (const auto delay : expected) {
        ASSERT_TRUE(*outbox().claim(id, "me"));
        ASSERT_TRUE(outbox().retryLater(id, "451 try later"));
        const auto m = get(id);
        EXPECT_EQ(m.state, OutboxState::Queued);
        EXPECT_EQ(m.lastError, "451 try later");
        EXPECT_EQ(m.nextAttempt, m_clock.unix() + delay.count());
        EXPECT_TRUE(outbox().due(false)->empty());
        EXPECT_EQ(outbox().due(true)->size(), 1U); // force
        m_clock.advance(delay);
        EXPECT_EQ(outbox().due(false)->size(), 1U);
    }
    EXPECT_EQ(get(id).attempts, 5);
}

TEST_F(OutboxTest, PermanentFailureKeepsTheReplyAndCanBeRequeued) {
    const auto id = queueOne();
    ASSERT_TRUE(*outbox().claim(id, "me"));
    ASSERT_TRUE(outbox().fail(id, "550 5.1.1 <x@example.org>: User unknown"));
    EXPECT_EQ(get(id).state, OutboxState::Failed);
    EXPECT_EQ(get(id).lastError, "550 5.1.1 <x@example.org>: User unknown");
    EXPECT_TRUE(outbox().due(true)->empty());
    ASSERT_TRUE(outbox().requeue(id));
    EXPECT_EQ(outbox().due(false)->size(), 1U);
}

TEST_F(OutboxTest, OneProcessAtATimeFilesASentMessage) {
    const auto id = queueOne();
    ASSERT_TRUE(*outbox().claim(id, "sender"));
    ASSERT_TRUE(outbox().markSent(id));
    const auto alive = [](std::string_view) { return true; };
    const auto dead = [](std::string_view) { return false; };
    EXPECT_TRUE(*outbox().claimFiling(id, "sender", alive)); // the sender keeps the filing
    EXPECT_FALSE(*outbox().claimFiling(id, "other", alive)); // while it lives
    EXPECT_TRUE(*outbox().claimFiling(id, "other", dead));   // taken over from a dead one
    EXPECT_FALSE(*outbox().claimFiling(id, "sender", alive));
    ASSERT_TRUE(outbox().markFiled(id));
    EXPECT_FALSE(*outbox().claimFiling(id, "other", dead)); // done: nothing to file
}

TEST_F(OutboxTest, OnlyMessagesNotOnTheirWayCanBeRemoved) {
    const auto queued = queueOne("<queued@x>");
    const auto failed = queueOne("<failed@x>");
    const auto sending = queueOne("<sending@x>");
    const auto sent = queueOne("<sent@x>");
    const auto held = queueOne("<held@x>");
    ASSERT_TRUE(*outbox().claim(failed, "me"));
    ASSERT_TRUE(outbox().fail(failed, "550 no"));
    ASSERT_TRUE(*outbox().claim(held, "me"));
    ASSERT_TRUE(outbox().markDataComplete(held));
    ASSERT_TRUE(outbox().holdUnconfirmed(held, "connection reset"));
    ASSERT_TRUE(*outbox().claim(sending, "me"));
    ASSERT_TRUE(*outbox().claim(sent, "me"));
    ASSERT_TRUE(outbox().markSent(sent));
    EXPECT_EQ(outbox().remove(sending).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(outbox().remove(sent).error().code, ErrorCode::InvalidArgument); // not filed in Sent yet
    ASSERT_TRUE(outbox().remove(queued));
    ASSERT_TRUE(outbox().remove(failed));
    ASSERT_TRUE(outbox().remove(held));
    ASSERT_TRUE(outbox().markFiled(sent));
    ASSERT_TRUE(outbox().remove(sent));
    EXPECT_EQ(outbox().remove(queued).error().code, ErrorCode::InvalidArgument); // gone
    ASSERT_EQ(outbox().list()->size(), 1U);
    EXPECT_EQ(outbox().list()->front().messageId, "<sending@x>");
}

TEST_F(OutboxTest, RecoveryOfDeadOwners) {
    const auto before = queueOne("<before@x>"); // died before the end of data
    const auto after = queueOne("<after@x>");   // died after it: outcome unknown
    const auto alive = queueOne("<alive@x>");   // still being sent by a live process
    ASSERT_TRUE(*outbox().claim(before, "dead"));
    ASSERT_TRUE(*outbox().claim(after, "dead"));
    ASSERT_TRUE(outbox().markDataComplete(after));
    ASSERT_TRUE(*outbox().claim(alive, "alive"));
    auto recovered = outbox().recover([](std::string_view owner) { return owner == "alive"; });
    ASSERT_TRUE(recovered) << recovered.error().detail;
    ASSERT_EQ(recovered->size(), 2U);
    EXPECT_EQ(get(before).state, OutboxState::Queued);
    EXPECT_EQ(get(before).unknownOutcomes, 0);
    EXPECT_TRUE(get(before).lastError.empty());
    for (const auto& r : *recovered) {
        EXPECT_EQ(r.outcomeUnknown, r.id == after);
    }
    // Held for the user: not sent again, not filed in Sent.
    EXPECT_EQ(get(after).state, OutboxState::Unconfirmed);
    EXPECT_EQ(get(after).unknownOutcomes, 1);
    EXPECT_EQ(get(after).lastError,
              "attempt 1 was interrupted at the end of the message; the server may have it; held, not sent again");
    EXPECT_FALSE(get(after).dataComplete);
    EXPECT_EQ(get(alive).state, OutboxState::Sending);
    ASSERT_EQ(outbox().due(true)->size(), 1U);
    EXPECT_EQ(outbox().due(false)->front().id, before); // due at once, not after a back-off
    EXPECT_TRUE(outbox().unfiled()->empty());
    ASSERT_EQ(outbox().unconfirmed()->size(), 1U);
    EXPECT_EQ(outbox().unconfirmed()->front().id, after);
    // Recovering again changes nothing.
    auto again = outbox().recover([](std::string_view owner) { return owner == "alive"; });
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->empty());
    EXPECT_EQ(get(after).unknownOutcomes, 1);
}

TEST_F(OutboxTest, BrokenOffAfterEndOfDataIsHeldUnconfirmed) {
    const auto id = queueOne();
    ASSERT_TRUE(*outbox().claim(id, "me"));
    ASSERT_TRUE(outbox().markDataComplete(id));
    ASSERT_TRUE(outbox().holdUnconfirmed(id, "connection reset"));
    const auto m = get(id);
    EXPECT_EQ(m.state, OutboxState::Unconfirmed);
    EXPECT_EQ(m.unknownOutcomes, 1);
    EXPECT_FALSE(m.dataComplete);
    EXPECT_NE(m.lastError.find("the server probably has it"), std::string::npos);
    EXPECT_NE(m.lastError.find("connection reset"), std::string::npos);
    EXPECT_TRUE(outbox().due(true)->empty());
    EXPECT_TRUE(outbox().unfiled()->empty());
    EXPECT_FALSE(*outbox().claim(id, "me"));
    // Only from 'sending'.
    EXPECT_EQ(outbox().holdUnconfirmed(id, "again").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(get(id).unknownOutcomes, 1);
}

TEST_F(OutboxTest, ConfirmingAnUnconfirmedMessageMakesItSentForFiling) {
    const auto id = queueOne();
    ASSERT_TRUE(*outbox().claim(id, "me"));
    ASSERT_TRUE(outbox().markDataComplete(id));
    ASSERT_TRUE(outbox().holdUnconfirmed(id, "timeout"));
    m_clock.advance(minutes(5));
    ASSERT_TRUE(outbox().confirm(id));
    EXPECT_EQ(get(id).state, OutboxState::Sent);
    EXPECT_EQ(get(id).sentAt, m_clock.unix());
    EXPECT_EQ(*outbox().unfiled(), std::vector<std::int64_t>{id});
    EXPECT_TRUE(outbox().unconfirmed()->empty());
    // Nobody holds the filing: any process takes it.
    EXPECT_TRUE(*outbox().claimFiling(id, "filer", [](std::string_view) { return true; }));
    ASSERT_TRUE(outbox().markFiled(id));
    EXPECT_EQ(get(id).state, OutboxState::Done);
    EXPECT_EQ(get(id).attempts, 1);
    // Only unconfirmed messages can be confirmed.
    EXPECT_EQ(outbox().confirm(id).error().code, ErrorCode::InvalidArgument);
    const auto queued = queueOne("<queued@x>");
    EXPECT_EQ(outbox().confirm(queued).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(get(queued).state, OutboxState::Queued);
}

TEST_F(OutboxTest, AnUnconfirmedMessageIsSentAgainOnlyWhenRequeued) {
    const auto id = queueOne();
    ASSERT_TRUE(*outbox().claim(id, "me"));
    ASSERT_TRUE(outbox().markDataComplete(id));
    ASSERT_TRUE(outbox().holdUnconfirmed(id, "timeout"));
    m_clock.advance(minutes(90));
    EXPECT_TRUE(outbox().due(false)->empty()); // however long it waits
    ASSERT_TRUE(outbox().requeue(id));
    EXPECT_EQ(get(id).state, OutboxState::Queued);
    EXPECT_EQ(get(id).nextAttempt, m_clock.unix());
    ASSERT_EQ(outbox().due(false)->size(), 1U);
    ASSERT_TRUE(*outbox().claim(id, "me"));
    EXPECT_EQ(get(id).attempts, 2);
    EXPECT_EQ(get(id).unknownOutcomes, 1); // the history stays
    // Neither a queued nor a sending message is requeued.
    EXPECT_EQ(outbox().requeue(id).error().code, ErrorCode::InvalidArgument);
}

TEST_F(OutboxTest, TwoConnectionsCannotClaimTheSameMessage) {
    const auto id = queueOne();
    Database second = test::openOrFail(m_dir.path() / "profile.db", "pass", OpenMode::MustExist);
    Outbox other(second, m_clock);
    auto first = outbox().claim(id, "one");
    auto late = other.claim(id, "two");
    ASSERT_TRUE(first && late);
    EXPECT_TRUE(*first);
    EXPECT_FALSE(*late);
    EXPECT_EQ(get(id).attempts, 1);
}

TEST_F(OutboxTest, ConcurrentClaimersTakeEachMessageOnce) {
    for (int i = 0; i < 40; ++i) {
        queueOne("<race-" + std::to_string(i) + "@x>");
    }
    std::array<std::vector<std::int64_t>, 2> taken;
    std::array<std::string, 2> errors;
    auto worker = [&](int n) {
        auto db = Database::open(m_dir.path() / "profile.db", test::secret("pass"), OpenMode::MustExist);
        if (!db) {
            errors[static_cast<std::size_t>(n)] = db.error().detail;
            return;
        }
        Outbox box(*db, m_clock);
        auto due = box.due(true);
        if (!due) {
            errors[static_cast<std::size_t>(n)] = due.error().detail;
            return;
        }
        for (const auto& m : *due) {
            auto claimed = box.claim(m.id, "worker" + std::to_string(n));
            if (!claimed) {
                errors[static_cast<std::size_t>(n)] = claimed.error().detail;
                return;
            }
            if (*claimed) {
                taken[static_cast<std::size_t>(n)].push_back(m.id);
            }
        }
    };
    std::thread a(worker, 0);
    std::thread b(worker, 1);
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    EXPECT_EQ(taken[0].size() + taken[1].size(), 40U);
    for (const auto id : taken[0]) {
        EXPECT_EQ(std::count(taken[1].begin(), taken[1].end(), id), 0);
    }
    const auto all = outbox().list();
    ASSERT_TRUE(all);
    for (const auto& m : *all) {
        EXPECT_EQ(m.attempts, 1);
    }
}
