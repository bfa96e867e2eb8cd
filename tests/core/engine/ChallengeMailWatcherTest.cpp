// The INBOX watch of enrollment on its own: which candidates are looked at, how often, and how it
// ends (found, timed out, cancelled, mailbox failure). EnrollmentTest covers real challenge mails.
#include "engine/ChallengeMailWatcher.h"

#include "../acme/AcmeTestFakes.h"
#include "EngineTestSupport.h"
#include "acme/EmailChallenge.h"

#include <map>

namespace sealpost::engine {
namespace {

using namespace std::chrono_literals;

const std::string kPlainChallenge = "From: acme@ca.example\r\nTo: alice@example.org\r\n"
                                    "Subject: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\nMessage-ID: <1@ca.example>\r\n"
                                    "Auto-Submitted: auto-generated; type=acme\r\n\r\nplain\r\n";

class ListMailbox final : public EnrollmentMailbox {
public:
    base::Result<std::vector<std::uint64_t>> findBySubject(std::string_view part) override {
        ++searches;
        if (searchError) {
            return *searchError;
        }
        EXPECT_EQ(part, "ACME:");
        std::vector<std::uint64_t> uids;
        for (const auto& [uid, raw] : inbox) {
            uids.push_back(uid);
        }
        uids.insert(uids.end(), ghosts.begin(), ghosts.end());
        return uids;
    }
    base::Result<std::string> fetch(std::uint64_t uid) override {
        ++fetches[uid];
        const auto it = inbox.find(uid);
        if (it == inbox.end()) {
            return base::makeError(base::ErrorCode::NotFound, "gone");
        }
        return it->second;
    }
    base::Result<void> remove(std::uint64_t /*uid*/) override { return {}; }
    base::Result<void> send(std::string_view /*from*/, std::string_view /*to*/, std::string_view /*message*/) override {
        return {};
    }

    std::map<std::uint64_t, std::string> inbox;
    std::vector<std::uint64_t> ghosts; // listed by the search, gone when fetched
    std::map<std::uint64_t, int> fetches;
    std::optional<base::Error> searchError;
    int searches = 0;
};

class ChallengeMailWatcherTest : public ::testing::Test {
protected:
    ChallengeWatch watch() {
        ChallengeWatch w;
        w.caRoot = &m_root;
        w.from = "acme@ca.example";
        w.address = "alice@example.org";
        w.clock = &clock;
        w.sleeper = &sleeper;
        w.stop = stop.get_token();
        w.timeout = 10s;
        w.interval = 2s;
        w.onSkipped = [this](std::uint64_t uid, const std::string& why) { skipped.emplace_back(uid, why); };
        return w;
    }

    acme::test::ManualClock clock{test::signTime()};
    acme::test::RecordingSleeper sleeper{clock};
    std::stop_source stop;
    ListMailbox mailbox;
    std::vector<std::pair<std::uint64_t, std::string>> skipped;

private:
    crypto::Certificate m_root = test::loadCertificate("root-ca.cert.pem");
};

TEST_F(ChallengeMailWatcherTest, TimesOutNamingHowLongItWaited) {
    ChallengeMailWatcher watcher(mailbox);
    auto found = watcher.wait(watch());
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(found.error().detail, "none arrived within 10 s");
    EXPECT_EQ(sleeper.durations, (std::vector<std::chrono::milliseconds>(5, 2s))); // looks at 0, 2, ..., 10 s
    EXPECT_EQ(mailbox.searches, 6);
}

TEST_F(ChallengeMailWatcherTest, LooksAtEachCandidateOnceAndSkipsAnUnsignedOne) {
    mailbox.inbox[7] = kPlainChallenge;
    ChallengeMailWatcher watcher(mailbox);
    auto found = watcher.wait(watch());
    ASSERT_FALSE(found);
    EXPECT_EQ(mailbox.fetches[7], 1);
    ASSERT_EQ(skipped.size(), 1U);
    EXPECT_EQ(skipped[0].first, 7U);
    EXPECT_TRUE(skipped[0].second.starts_with(acme::challengeRuleName(acme::ChallengeRule::SignatureValid)))
        << skipped[0].second;
}

TEST_F(ChallengeMailWatcherTest, MailsPresentBeforeTheOrderAreNeverFetched) {
    mailbox.inbox[3] = kPlainChallenge;
    ChallengeMailWatcher watcher(mailbox);
    ASSERT_TRUE(watcher.ignoreExisting());
    mailbox.inbox[4] = kPlainChallenge;
    ASSERT_FALSE(watcher.wait(watch()));
    EXPECT_EQ(mailbox.fetches.count(3), 0U);
    EXPECT_EQ(mailbox.fetches[4], 1);
}

TEST_F(ChallengeMailWatcherTest, AMailGoneBeforeItIsFetchedIsNoError) {
    mailbox.ghosts = {9};
    ChallengeMailWatcher watcher(mailbox);
    auto found = watcher.wait(watch());
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(mailbox.fetches[9], 1);
    EXPECT_TRUE(skipped.empty());
}

TEST_F(ChallengeMailWatcherTest, AMailboxFailureEndsTheWatch) {
    mailbox.searchError = base::Error{base::ErrorCode::AuthFailed, "login refused"};
    ChallengeMailWatcher watcher(mailbox);
    auto found = watcher.wait(watch());
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, base::ErrorCode::AuthFailed);
    EXPECT_TRUE(sleeper.durations.empty());
}

TEST_F(ChallengeMailWatcherTest, StopsWhenCancelledWhileWaiting) {
    sleeper.onSleep = [this] { stop.request_stop(); };
    ChallengeMailWatcher watcher(mailbox);
    auto found = watcher.wait(watch());
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, base::ErrorCode::Cancelled);
    EXPECT_EQ(mailbox.searches, 1);
}

} // namespace
} // namespace sealpost::engine
