// The whole enrollment through the ACME server, and the attacks on the email-reply-00 challenge
// (docs/acme.md, "The challenge").
#include "AcmeServerTestBase.h"

#include <thread>

namespace sealpost::ca::acme::test {
namespace {

class AcmeChallengeTest : public AcmeServerFixture {};

class AcmeHappyFlowTest : public AcmeServerFixture, public ::testing::WithParamInterface<crypto::KeySpec> {};

TEST_P(AcmeHappyFlowTest, EnrollsTwoAddressesWithRepliesBeforeAndAfterTheClientsPost) {
    const Client client = newAccount(GetParam());
    ASSERT_FALSE(client.kid.empty());
    const Order order = newOrder(client, {"Alice@Example.ORG", "bob@example.net"});
    EXPECT_EQ(order.body["status"], "pending");
    ASSERT_EQ(order.body["authorizations"].size(), 2U);
    EXPECT_EQ(order.body["identifiers"][0]["value"], "Alice@example.org"); // domain lower-cased, local part kept

    // One challenge mail per address, sent at newOrder.
    ASSERT_EQ(mailer.sent.size(), 2U);
    for (const OutgoingChallenge& mail : mailer.sent) {
        EXPECT_EQ(mail.tokenPart1.size(), 24U);
        EXPECT_TRUE(crypto::base64UrlDecode(mail.tokenPart1));
        EXPECT_TRUE(mail.messageId.ends_with("@ca.example")) << mail.messageId;
    }
    EXPECT_NE(mailer.sent[0].messageId, mailer.sent[1].messageId);
    EXPECT_NE(mailer.sent[0].tokenPart1, mailer.sent[1].tokenPart1);

    // Alice replies before the client's POST: remembered, not yet valid.
    const Challenge alice = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(alice.tokenPart2.size(), 24U);
    EXPECT_NE(alice.tokenPart2, alice.tokenPart1);
    EXPECT_EQ(reply(alice, expectedResponse(client, alice)), ReplyVerdict::Accepted);
    auto read = post(client, alice.url, std::nullopt);
    EXPECT_EQ(json(read)["status"], "pending");
    EXPECT_EQ(json(read)["from"], "acme@ca.example");
    EXPECT_EQ(json(read)["type"], "email-reply-00");
    auto told = post(client, alice.url, nlohmann::json::object());
    EXPECT_EQ(json(told)["status"], "valid") << told.body;
    EXPECT_TRUE(json(told).contains("validated"));
    EXPECT_EQ(told.headerValues("Link").at(0),
              "<" + order.body["authorizations"][0].get<std::string>() + ">;rel=\"up\"");

    // Bob's client POSTs first: processing until the reply comes.
    const Challenge bob = challengeOf(client, order.body["authorizations"][1]);
    EXPECT_EQ(json(post(client, bob.url, nlohmann::json::object()))["status"], "processing");
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "pending");
    EXPECT_EQ(reply(bob, expectedResponse(client, bob)), ReplyVerdict::Accepted);
    EXPECT_EQ(json(post(client, bob.url, std::nullopt))["status"], "valid");
    EXPECT_EQ(json(post(client, order.body["authorizations"][1].get<std::string>(), std::nullopt))["status"], "valid");
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "ready");

    // Finalize: the issuer sees the order's addresses and the account key.
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    const AcmeResponse finalized = finalize(client, order, {"alice@example.org", "bob@example.net"}, certKey);
    ASSERT_EQ(finalized.status, 200) << finalized.body;
    ASSERT_EQ(issuer->requests.size(), 1U);
    EXPECT_EQ(issuer->requests[0].emails, (std::vector<std::string>{"alice@example.org", "bob@example.net"}));
    EXPECT_EQ(issuer->requests[0].accountKeySpki, *crypto::PublicKey::of(client.key).spkiDer());
    EXPECT_EQ(json(finalized)["status"], "valid");
    ASSERT_TRUE(json(finalized).contains("certificate"));
    ASSERT_EQ(published.size(), 1U);

    // The certificate: leaf + intermediate; the alternate adds the root; "up" is the issuer.
    const AcmeResponse pem = post(client, json(finalized)["certificate"].get<std::string>(), std::nullopt);
    ASSERT_EQ(pem.status, 200) << pem.body;
    EXPECT_EQ(pem.header("Content-Type").value_or(""), "application/pem-certificate-chain");
    auto chain = crypto::Certificate::parseAll(base::asBytes(pem.body));
    ASSERT_TRUE(chain);
    ASSERT_EQ(chain->size(), 2U);
    EXPECT_EQ((*chain)[0], published[0]);
    EXPECT_EQ((*chain)[1], issuer->intermediate());
    const std::string certUrl = json(finalized)["certificate"];
    const auto links = pem.headerValues("Link");
    ASSERT_EQ(links.size(), 3U);
    EXPECT_EQ(links[0], "<" + certUrl + "/issuer>;rel=\"up\"");
    EXPECT_EQ(links[1], "<" + certUrl + "/1>;rel=\"alternate\"");
    EXPECT_EQ(links[2], "<https://ca.example/directory>;rel=\"index\"");
    const AcmeResponse alternate = post(client, certUrl + "/1", std::nullopt);
    auto longChain = crypto::Certificate::parseAll(base::asBytes(alternate.body));
    ASSERT_TRUE(longChain);
    ASSERT_EQ(longChain->size(), 3U);
    EXPECT_EQ((*longChain)[2], issuer->root());
    EXPECT_EQ(alternate.headerValues("Link").at(1), "<" + certUrl + ">;rel=\"alternate\"");
    const AcmeResponse up = get(pathOf(certUrl + "/issuer"));
    ASSERT_EQ(up.status, 200);
    auto upChain = crypto::Certificate::parseAll(base::asBytes(up.body));
    ASSERT_TRUE(upChain);
    ASSERT_EQ(upChain->size(), 1U);
    EXPECT_EQ((*upChain)[0], issuer->intermediate());

    // The account's orders list it.
    const AcmeResponse orders = post(client, client.kid + "/orders", std::nullopt);
    EXPECT_EQ(json(orders)["orders"], nlohmann::json::array({order.url}));
}

INSTANTIATE_TEST_SUITE_P(AccountKeys, AcmeHappyFlowTest,
                         ::testing::Values(crypto::KeySpec::Rsa2048, crypto::KeySpec::P256),
                         [](const auto& p) { return std::string(crypto::keySpecName(p.param)); });

TEST_F(AcmeChallengeTest, WrongResponseInvalidatesAndNothingIsIssued) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    Challenge otherToken = c;
    otherToken.tokenPart2 = c.tokenPart1; // a response for the wrong token
    EXPECT_EQ(reply(c, expectedResponse(client, otherToken)), ReplyVerdict::IncorrectResponse);
    const auto challenge = json(post(client, c.url, nlohmann::json::object()));
    EXPECT_EQ(challenge["status"], "invalid");
    EXPECT_EQ(challenge["error"]["type"], acme("incorrectResponse"));
    EXPECT_EQ(json(post(client, order.body["authorizations"][0].get<std::string>(), std::nullopt))["status"],
              "invalid");
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "invalid");
    EXPECT_EQ(json(post(client, client.kid + "/orders", std::nullopt))["orders"], nlohmann::json::array());
    const AcmeResponse finalized =
        finalize(client, order, {"alice@example.org"}, *crypto::generateKey(crypto::KeySpec::P256));
    EXPECT_EQ(finalized.status, 403);
    EXPECT_EQ(problemType(finalized), acme("orderNotReady"));
    EXPECT_TRUE(issuer->requests.empty());
}

TEST_F(AcmeChallengeTest, ResponseOfAnotherAccountKeyIsIncorrect) {
    const Client client = newAccount();
    const Client other{*crypto::generateKey(crypto::KeySpec::P256), {}};
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(c, expectedResponse(other, c)), ReplyVerdict::IncorrectResponse);
}

TEST_F(AcmeChallengeTest, SecondReplyChangesNothing) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org", "bob@example.org"});
    // Right, then right again: the second is ignored.
    const Challenge alice = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(alice, expectedResponse(client, alice)), ReplyVerdict::Accepted);
    EXPECT_EQ(reply(alice, expectedResponse(client, alice)), ReplyVerdict::Ignored);
    EXPECT_EQ(reply(alice, "wrong"), ReplyVerdict::Ignored);
    EXPECT_EQ(json(post(client, alice.url, nlohmann::json::object()))["status"], "valid");
    // Wrong, then right: stays invalid.
    const Challenge bob = challengeOf(client, order.body["authorizations"][1]);
    EXPECT_EQ(reply(bob, "wrong"), ReplyVerdict::IncorrectResponse);
    EXPECT_EQ(reply(bob, expectedResponse(client, bob)), ReplyVerdict::Ignored);
    EXPECT_EQ(json(post(client, bob.url, nlohmann::json::object()))["status"], "invalid");
}

TEST_F(AcmeChallengeTest, ReplyFromAnotherAddressIsUnauthorized) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(c, expectedResponse(client, c), "mallory@example.org"), ReplyVerdict::Unauthorized);
    const auto challenge = json(post(client, c.url, std::nullopt));
    EXPECT_EQ(challenge["status"], "invalid");
    EXPECT_EQ(challenge["error"]["type"], acme("unauthorized"));
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "invalid");
}

TEST_F(AcmeChallengeTest, SenderLocalPartIsExactAndDomainCaseInsensitive) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org", "bob@example.org"});
    const Challenge alice = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(alice, expectedResponse(client, alice), "Alice Example <alice@EXAMPLE.Org>"),
              ReplyVerdict::Accepted);
    const Challenge bob = challengeOf(client, order.body["authorizations"][1]);
    EXPECT_EQ(reply(bob, expectedResponse(client, bob), "Bob@example.org"), ReplyVerdict::Unauthorized);
}

TEST_F(AcmeChallengeTest, UnknownOrReplayedTokenIsIgnored) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    Challenge c = challengeOf(client, order.body["authorizations"][0]);
    Challenge unknown = c;
    unknown.tokenPart1 = "AAAAAAAAAAAAAAAAAAAAAAAA";
    EXPECT_EQ(reply(unknown, expectedResponse(client, unknown)), ReplyVerdict::Ignored);
    validate(client, order.body["authorizations"][0]);
    // The same reply once more, after the challenge became valid.
    EXPECT_EQ(reply(c, expectedResponse(client, c)), ReplyVerdict::Ignored);
    EXPECT_EQ(json(post(client, c.url, std::nullopt))["status"], "valid");
}

TEST_F(AcmeChallengeTest, ReplyAfterExpiryIsIgnoredAndTheAuthorizationExpires) {
    const Client client = newAccount();
    config.orderLifetime = std::chrono::hours(24 * 7);
    restart();
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    clock.advance(std::chrono::hours(24) + std::chrono::seconds(1));
    EXPECT_EQ(reply(c, expectedResponse(client, c)), ReplyVerdict::Ignored);
    EXPECT_EQ(json(post(client, c.url, nlohmann::json::object()))["status"], "pending");
    EXPECT_EQ(json(post(client, order.body["authorizations"][0].get<std::string>(), std::nullopt))["status"],
              "expired");
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "invalid");
}

TEST_F(AcmeChallengeTest, ReplyJustBeforeExpiryCounts) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    clock.advance(std::chrono::hours(24) - std::chrono::seconds(1));
    EXPECT_EQ(reply(c, expectedResponse(client, c)), ReplyVerdict::Accepted);
}

TEST_F(AcmeChallengeTest, DkimRequiredAndMissingIsUnauthorized) {
    config.requireDkim = true;
    restart();
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org", "bob@example.org"});
    const Challenge alice = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(alice, expectedResponse(client, alice), {}, false), ReplyVerdict::Unauthorized);
    EXPECT_EQ(json(post(client, alice.url, std::nullopt))["error"]["type"], acme("unauthorized"));
    const Challenge bob = challengeOf(client, order.body["authorizations"][1]);
    EXPECT_EQ(reply(bob, expectedResponse(client, bob), {}, true), ReplyVerdict::Accepted);
}

TEST_F(AcmeChallengeTest, WithoutDkimRequirementAnUnsignedReplyCounts) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const Challenge c = challengeOf(client, order.body["authorizations"][0]);
    EXPECT_EQ(reply(c, expectedResponse(client, c), {}, false), ReplyVerdict::Accepted);
}

TEST_F(AcmeChallengeTest, FinalizeBeforeValidIsOrderNotReady) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const AcmeResponse response =
        finalize(client, order, {"alice@example.org"}, *crypto::generateKey(crypto::KeySpec::P256));
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(problemType(response), acme("orderNotReady"));
    EXPECT_TRUE(issuer->requests.empty());
}

TEST_F(AcmeChallengeTest, RefusedCsrKeepsTheOrderReady) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    validate(client, order.body["authorizations"][0]);
    issuer->refuse = IssueError{CsrProblem::BadPublicKey, "P-521 is not accepted"};
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    AcmeResponse response = finalize(client, order, {"alice@example.org"}, certKey);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(problemType(response), acme("badPublicKey"));
    issuer->refuse = IssueError{CsrProblem::BadCsr, "names differ"};
    response = finalize(client, order, {"alice@example.org"}, certKey);
    EXPECT_EQ(problemType(response), acme("badCSR"));
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "ready");
    issuer->refuse.reset();
    // The account key as the certificate key: the issuer refuses (it is given the account key).
    response = finalize(client, order, {"alice@example.org"}, client.key);
    EXPECT_EQ(problemType(response), acme("badCSR"));
    response = finalize(client, order, {"alice@example.org"}, certKey);
    EXPECT_EQ(response.status, 200) << response.body;
    // Finalizing a valid order again is refused.
    response = finalize(client, order, {"alice@example.org"}, certKey);
    EXPECT_EQ(problemType(response), acme("orderNotReady"));
    EXPECT_EQ(published.size(), 1U);
}

TEST_F(AcmeChallengeTest, OrderLeftProcessingByAStoppedServerIsReadyAgain) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    validate(client, order.body["authorizations"][0]);
    auto stored = store->findOrder(pathOf(order.url).substr(std::string_view("/acme/order/").size()));
    ASSERT_TRUE(stored && stored->has_value());
    OrderRecord abandoned = **stored;
    abandoned.status = OrderStatus::Processing;
    ASSERT_TRUE(store->updateOrder(abandoned));
    restart();
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "ready");
    const AcmeResponse response =
        finalize(client, order, {"alice@example.org"}, *crypto::generateKey(crypto::KeySpec::P256));
    EXPECT_EQ(response.status, 200) << response.body;
}

TEST_F(AcmeChallengeTest, DeactivatedAuthorizationInvalidatesTheOrder) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const std::string authzUrl = order.body["authorizations"][0];
    const Challenge c = challengeOf(client, authzUrl);
    const AcmeResponse response = post(client, authzUrl, nlohmann::json{{"status", "deactivated"}});
    EXPECT_EQ(json(response)["status"], "deactivated");
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "invalid");
    EXPECT_EQ(reply(c, expectedResponse(client, c)), ReplyVerdict::Ignored);
}

TEST_F(AcmeChallengeTest, OrderExpires) {
    config.orderLifetime = std::chrono::hours(2);
    restart();
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    validate(client, order.body["authorizations"][0]);
    clock.advance(std::chrono::hours(2));
    const auto body = json(post(client, order.url, std::nullopt));
    EXPECT_EQ(body["status"], "invalid");
    const AcmeResponse response =
        finalize(client, order, {"alice@example.org"}, *crypto::generateKey(crypto::KeySpec::P256));
    EXPECT_EQ(problemType(response), acme("orderNotReady"));
}

TEST_F(AcmeChallengeTest, ConcurrentClientsAndRepliesEachGetTheirCertificate) {
    constexpr int kClients = 4;
    std::vector<Client> clients;
    clients.reserve(kClients);
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(newAccount());
    }
    std::vector<nlohmann::json> finals(kClients);
    std::vector<std::thread> threads;
    threads.reserve(kClients);
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            finals[static_cast<std::size_t>(i)] =
                issue(clients[static_cast<std::size_t>(i)], {"user" + std::to_string(i) + "@example.org"},
                      *crypto::generateKey(crypto::KeySpec::P256));
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    for (const nlohmann::json& order : finals) {
        EXPECT_EQ(order["status"], "valid") << order.dump();
    }
    EXPECT_EQ(published.size(), static_cast<std::size_t>(kClients));
}

} // namespace
} // namespace sealpost::ca::acme::test
