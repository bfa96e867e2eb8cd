// The ACME server in front of the CA's real issuer (server/ca/issue): what it issues is what the
// server stores, serves and answers renewal information for.
#include "AcmeServerTestBase.h"
#include "ca/issue/Authority.h"

namespace sealpost::ca::acme::test {
namespace {

class AcmeRealIssuerTest : public AcmeServerFixture {
protected:
    void SetUp() override {
        AcmeServerFixture::SetUp();
        AuthorityInitOptions options;
        options.mailFrom = "acme@ca.example";
        options.now = clock.now();
        auto created = Authority::init(dir() / "ca", options, "test passphrase");
        ASSERT_TRUE(created) << created.error().detail;
        authority.emplace(std::move(*created));
        useIssuer(*authority->issuer());
    }

    std::optional<Authority> authority;
};

TEST_F(AcmeRealIssuerTest, IssuesServesAndAnswersRenewalInfo) {
    const Client client = newAccount(crypto::KeySpec::Rsa2048);
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    const Order order = newOrder(client, {"Alice@Example.org"});
    validate(client, order.body["authorizations"][0]);

    // The real issuer's refusals come through as ACME problems, and the order stays ready.
    AcmeResponse response = finalize(client, order, {"alice@example.org"}, client.key);
    EXPECT_EQ(problemType(response), acme("badCSR")) << response.body;
    response = finalize(client, order, {"mallory@example.org"}, certKey);
    EXPECT_EQ(problemType(response), acme("badCSR")) << response.body;
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "ready");

    response = finalize(client, order, {"alice@example.org"}, certKey);
    ASSERT_EQ(response.status, 200) << response.body;
    ASSERT_EQ(published.size(), 1U);
    const crypto::Certificate& leaf = published[0];
    EXPECT_TRUE(leaf.hasEmailAddress("alice@example.org"));

    const std::string certUrl = json(response)["certificate"];
    auto chain = crypto::Certificate::parseAll(base::asBytes(post(client, certUrl, std::nullopt).body));
    ASSERT_TRUE(chain);
    ASSERT_EQ(chain->size(), 2U);
    EXPECT_EQ((*chain)[0], leaf);
    EXPECT_EQ((*chain)[1], authority->intermediate());
    auto withRoot = crypto::Certificate::parseAll(base::asBytes(post(client, certUrl + "/1", std::nullopt).body));
    ASSERT_TRUE(withRoot);
    ASSERT_EQ(withRoot->size(), 3U);
    EXPECT_EQ((*withRoot)[2], authority->root());

    const AcmeResponse info = get("/acme/renewal-info/" + *crypto::ariCertId(leaf));
    EXPECT_EQ(info.status, 200) << info.body;
    EXPECT_TRUE(json(info)["suggestedWindow"].contains("start"));
}

} // namespace
} // namespace sealpost::ca::acme::test
