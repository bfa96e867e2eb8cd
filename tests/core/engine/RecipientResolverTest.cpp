#include "engine/RecipientResolver.h"

#include "../directory/DirectoryTestSupport.h"
#include "directory/Address.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::engine;
using directory::test::certEntry;
using directory::test::fixtureCert;
using directory::test::kTestNow;
using Json = nlohmann::json;

namespace {

class RecipientResolverTest : public ::testing::Test {
protected:
    RecipientResolverTest() {
        directory::ClientOptions options;
        options.baseUrl = m_stub.url();
        m_client = std::make_unique<directory::DirectoryClient>(options);
    }

    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pass");
    base::FixedClock m_clock{kTestNow};
    directory::test::DirectoryStub m_stub;
    std::unique_ptr<directory::DirectoryClient> m_client;
    std::vector<crypto::Certificate> m_anchors{fixtureCert("root-ca.cert.pem")};
    crypto::Certificate m_alice = fixtureCert("alice.cert.pem");
    crypto::Certificate m_bob = fixtureCert("bob.cert.pem");
    crypto::Certificate m_intermediate = fixtureCert("intermediate-ca.cert.pem");
};

} // namespace

TEST_F(RecipientResolverTest, StoreFirstThenTheDirectoryForTheRest) {
    ASSERT_TRUE(store::CorrespondentStore(m_db, m_clock)
                    .remember({.address = "alice@example.org",
                               .cert = m_alice,
                               .provenance = {store::ProvenanceKind::Imported, ""},
                               .seenAt = kTestNow,
                               .signingTime = std::nullopt,
                               .capabilities = std::nullopt})
                    .ok());
    m_stub.answerJson(200, {{"results",
                             {{{"address", "bob@example.org"},
                               {"address_sha256", directory::addressHash("bob@example.org")},
                               {"certificates", {certEntry(m_bob, {m_intermediate})}}},
                              {{"address", "carol@example.org"},
                               {"address_sha256", directory::addressHash("carol@example.org")},
                               {"certificates", Json::array()}}}}});
    directory::DirectoryLookup lookup(m_db, m_clock, m_client.get(), m_anchors);
    const std::vector<std::string> to{"alice@example.org", "bob@example.org", "carol@example.org"};
    auto resolved = resolveRecipients(m_db, m_clock, to, &lookup, {});
    ASSERT_TRUE(resolved.ok()) << resolved.error().detail;
    ASSERT_EQ(resolved->size(), 3U);
    EXPECT_EQ(resolved->at(0).source, RecipientSource::Store);
    EXPECT_FALSE(resolved->at(0).lookup.has_value()) << "the directory is not asked for known recipients";
    EXPECT_EQ(resolved->at(1).source, RecipientSource::Directory);
    ASSERT_TRUE(resolved->at(1).selection.cert.has_value());
    EXPECT_EQ(resolved->at(1).selection.cert->fingerprint, m_bob.sha256Fingerprint());
    EXPECT_EQ(resolved->at(2).source, RecipientSource::None);
    EXPECT_EQ(resolved->at(2).selection.reason, store::SelectionReason::NoCertificate);
    ASSERT_TRUE(resolved->at(2).lookup.has_value());
    EXPECT_EQ(resolved->at(2).lookup->outcome, directory::LookupOutcome::NotFound);
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(Json::parse(requests[0]["body"].get<std::string>()),
              (Json{{"addresses", {"bob@example.org", "carol@example.org"}}}));
}

TEST_F(RecipientResolverTest, WithoutADirectoryOnlyTheStoreAnswers) {
    const std::vector<std::string> to{"bob@example.org"};
    auto resolved = resolveRecipients(m_db, m_clock, to, nullptr, {});
    ASSERT_TRUE(resolved.ok());
    EXPECT_EQ(resolved->at(0).source, RecipientSource::None);
    EXPECT_FALSE(resolved->at(0).lookup.has_value());
    EXPECT_TRUE(m_stub.requests().empty());
}
