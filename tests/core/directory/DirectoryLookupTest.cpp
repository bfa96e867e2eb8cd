#include "directory/DirectoryLookup.h"

#include "DirectoryTestSupport.h"
#include "directory/Address.h"
#include "store/CorrespondentStore.h"
#include "store/DirectoryCache.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::directory;
using namespace sealpost::directory::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

class SettableClock final : public base::Clock {
public:
    [[nodiscard]] base::TimePoint now() const override { return m_now; }
    base::TimePoint m_now = kTestNow;
};

class DirectoryLookupTest : public ::testing::Test {
protected:
    DirectoryLookupTest() {
        ClientOptions options;
        options.baseUrl = m_stub.url();
        m_client = std::make_unique<DirectoryClient>(options);
    }

    std::vector<AddressLookup> run(const std::vector<std::string>& addresses, LookupOptions options = {},
                                   DirectoryClient* client = nullptr) {
        DirectoryLookup lookup(m_db, m_clock, client != nullptr ? client : m_client.get(), m_anchors);
        auto r = lookup.lookup(addresses, options);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
        return r.ok() ? *r : std::vector<AddressLookup>{};
    }

    void answer(const std::string& address, const std::vector<Json>& certs) {
        m_stub.answerJson(
            200,
            {{"results", {{{"address", address}, {"address_sha256", addressHash(address)}, {"certificates", certs}}}}});
    }

    std::optional<store::DirectoryCacheEntry> cached(const std::string& address) {
        auto entry = store::DirectoryCache(m_db).get(addressHash(address));
        EXPECT_TRUE(entry.ok());
        return *entry;
    }

    std::vector<store::StoredCorrespondentCert> stored(const std::string& address) {
        auto list = store::CorrespondentStore(m_db, m_clock).list(address);
        EXPECT_TRUE(list.ok());
        return *list;
    }

    DirectoryStub m_stub;
    TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pass");
    SettableClock m_clock;
    std::unique_ptr<DirectoryClient> m_client;
    std::vector<crypto::Certificate> m_anchors{fixtureCert("root-ca.cert.pem")};
    crypto::Certificate m_alice = fixtureCert("alice.cert.pem");
    crypto::Certificate m_intermediate = fixtureCert("intermediate-ca.cert.pem");
};

} // namespace

TEST_F(DirectoryLookupTest, ValidCertificateIsStoredAndCachedForADay) {
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate}, "enrolled")});
    const auto r = run({"Alice@example.org"});
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].address, "alice@example.org");
    EXPECT_EQ(r[0].outcome, LookupOutcome::Found);
    EXPECT_EQ(r[0].source, LookupSource::Network);
    ASSERT_EQ(r[0].found.size(), 1U);
    EXPECT_EQ(r[0].found[0].fingerprint, m_alice.sha256Fingerprint());
    EXPECT_EQ(r[0].found[0].provenance, "enrolled");

    const auto certs = stored("alice@example.org");
    ASSERT_EQ(certs.size(), 1U);
    EXPECT_EQ(certs[0].provenance.kind, store::ProvenanceKind::Directory);
    EXPECT_EQ(certs[0].provenance.detail, "enrolled");
    const auto entry = cached("alice@example.org");
    ASSERT_TRUE(entry.has_value());
    EXPECT_TRUE(entry->found);
    EXPECT_EQ(entry->expiresAt, kTestNow + kPositiveTtl);
}

TEST_F(DirectoryLookupTest, PositiveCacheNeverOutlivesTheCertificate) {
    m_clock.m_now = std::chrono::system_clock::from_time_t(2051179200);
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate})});
    ASSERT_EQ(run({"alice@example.org"})[0].outcome, LookupOutcome::Found);
    EXPECT_EQ(cached("alice@example.org")->expiresAt, m_alice.notAfter());
}

TEST_F(DirectoryLookupTest, RejectedCertificatesAreReportedNeverStored) {
    const auto dave = fixtureCert("dave-untrusted.cert.pem");
    answer("dave@example.org", {certEntry(dave, {}), certEntry(m_alice, {m_intermediate})});
    const auto r = run({"dave@example.org"});
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].outcome, LookupOutcome::NotFound);
    ASSERT_EQ(r[0].rejected.size(), 2U);
    EXPECT_EQ(r[0].rejected[0].problem, ValidationProblem::Untrusted);
    EXPECT_EQ(r[0].rejected[1].problem, ValidationProblem::WrongAddress); // Alice's, served for Dave
    EXPECT_TRUE(stored("dave@example.org").empty());
    EXPECT_TRUE(store::CorrespondentStore(m_db, m_clock).listAll()->empty());
    const auto entry = cached("dave@example.org");
    ASSERT_TRUE(entry.has_value());
    EXPECT_FALSE(entry->found);
    EXPECT_EQ(entry->expiresAt, kTestNow + kNegativeTtl);
}

TEST_F(DirectoryLookupTest, FreshCacheAnswersWithoutAskingAndRefreshAsks) {
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate})});
    ASSERT_EQ(run({"alice@example.org"})[0].source, LookupSource::Network);
    m_clock.m_now += 23h;
    const auto again = run({"alice@example.org"});
    EXPECT_EQ(again[0].source, LookupSource::Cache);
    EXPECT_EQ(again[0].outcome, LookupOutcome::Found);
    EXPECT_FALSE(again[0].stale);
    ASSERT_EQ(again[0].found.size(), 1U);
    EXPECT_EQ(m_stub.requests().size(), 1U);
    const auto refreshed = run({"alice@example.org"}, {.refresh = true, .offline = false});
    EXPECT_EQ(refreshed[0].source, LookupSource::Network);
    EXPECT_EQ(m_stub.requests().size(), 2U);
}

TEST_F(DirectoryLookupTest, NegativeAnswerHoldsAnHour) {
    answer("nobody@example.org", {});
    EXPECT_EQ(run({"nobody@example.org"})[0].outcome, LookupOutcome::NotFound);
    m_clock.m_now += 59min;
    EXPECT_EQ(run({"nobody@example.org"})[0].source, LookupSource::Cache);
    m_clock.m_now += 2min;
    EXPECT_EQ(run({"nobody@example.org"})[0].source, LookupSource::Network);
    EXPECT_EQ(m_stub.requests().size(), 2U);
}

// Sending asks again where the cache says "nothing there": the correspondent may have enrolled.
TEST_F(DirectoryLookupTest, RefreshNotFoundAsksAgainOnlyForNegativeAnswers) {
    answer("nobody@example.org", {});
    EXPECT_EQ(run({"nobody@example.org"})[0].outcome, LookupOutcome::NotFound);
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate})});
    ASSERT_EQ(run({"alice@example.org"})[0].outcome, LookupOutcome::Found);
    ASSERT_EQ(m_stub.requests().size(), 2U);
    m_clock.m_now += 10min;
    const LookupOptions sending{.refresh = false, .offline = false, .refreshNotFound = true};
    answer("nobody@example.org", {certEntry(m_alice, {m_intermediate})}); // (the stub answers whatever it is told)
    const auto again = run({"alice@example.org", "nobody@example.org"}, sending);
    EXPECT_EQ(again[0].source, LookupSource::Cache); // a positive answer still holds
    EXPECT_EQ(again[1].source, LookupSource::Network);
    EXPECT_EQ(m_stub.requests().size(), 3U);
    EXPECT_EQ(run({"alice@example.org"})[0].source, LookupSource::Cache);
}

TEST_F(DirectoryLookupTest, UnreachableAnswersFromStaleCacheAndSaysSo) {
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate})});
    ASSERT_EQ(run({"alice@example.org"})[0].outcome, LookupOutcome::Found);
    m_clock.m_now += 48h;
    ClientOptions options;
    options.baseUrl = "http://127.0.0.1:1";
    DirectoryClient down(options);
    const auto r = run({"alice@example.org", "carol@example.org"}, {}, &down);
    ASSERT_EQ(r.size(), 2U);
    EXPECT_EQ(r[0].outcome, LookupOutcome::Found);
    EXPECT_EQ(r[0].source, LookupSource::Cache);
    EXPECT_TRUE(r[0].stale);
    ASSERT_TRUE(r[0].error.has_value());
    EXPECT_EQ(r[0].error->code, base::ErrorCode::Unreachable);
    EXPECT_EQ(r[1].outcome, LookupOutcome::Unreachable);
}

TEST_F(DirectoryLookupTest, OfflineUsesOnlyTheCache) {
    answer("alice@example.org", {certEntry(m_alice, {m_intermediate})});
    ASSERT_EQ(run({"alice@example.org"})[0].outcome, LookupOutcome::Found);
    m_clock.m_now += 48h;
    const auto r = run({"alice@example.org", "carol@example.org"}, {.refresh = false, .offline = true});
    EXPECT_EQ(r[0].outcome, LookupOutcome::Found);
    EXPECT_TRUE(r[0].stale);
    EXPECT_EQ(r[1].outcome, LookupOutcome::Unreachable);
    EXPECT_EQ(m_stub.requests().size(), 1U);
}

TEST_F(DirectoryLookupTest, MalformedAnswerFailsEveryAddressOfTheBatch) {
    m_stub.answer(200, "{}");
    const auto r = run({"alice@example.org", "not an address"});
    EXPECT_EQ(r[0].outcome, LookupOutcome::Failed);
    ASSERT_TRUE(r[0].error.has_value());
    EXPECT_EQ(r[0].error->code, base::ErrorCode::ProtocolError);
    EXPECT_EQ(r[1].outcome, LookupOutcome::Failed);
    EXPECT_EQ(r[1].error->code, base::ErrorCode::InvalidArgument);
    EXPECT_FALSE(cached("alice@example.org").has_value());
}
