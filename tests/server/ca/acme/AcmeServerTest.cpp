// The ACME server's protocol rules: directory and nonces, JWS checks, accounts and key rollover,
// orders and their limits, certificates, revocation and renewal information.
#include "AcmeServerTestBase.h"

namespace sealpost::ca::acme::test {
namespace {

class AcmeServerTest : public AcmeServerFixture {};

TEST_F(AcmeServerTest, DirectoryNamesEveryResourceAndMeta) {
    const AcmeResponse response = get("/directory");
    ASSERT_EQ(response.status, 200);
    const auto body = json(response);
    EXPECT_EQ(body["newNonce"], "https://ca.example/acme/new-nonce");
    EXPECT_EQ(body["newAccount"], "https://ca.example/acme/new-account");
    EXPECT_EQ(body["newOrder"], "https://ca.example/acme/new-order");
    EXPECT_EQ(body["revokeCert"], "https://ca.example/acme/revoke-cert");
    EXPECT_EQ(body["keyChange"], "https://ca.example/acme/key-change");
    EXPECT_EQ(body["renewalInfo"], "https://ca.example/acme/renewal-info");
    EXPECT_EQ(body["meta"]["termsOfService"], "https://ca.example/terms");
    EXPECT_EQ(body["meta"]["website"], "https://ca.example/about");
    EXPECT_EQ(body["meta"]["caaIdentities"], nlohmann::json::array());
    EXPECT_EQ(body["meta"]["externalAccountRequired"], false);
    EXPECT_EQ(get("/terms").status, 200);
    EXPECT_EQ(get("/nothing").status, 404);
}

TEST_F(AcmeServerTest, NewNonceHeadAndGet) {
    const AcmeResponse head = get("/acme/new-nonce", "HEAD");
    EXPECT_EQ(head.status, 200);
    const AcmeResponse plain = get("/acme/new-nonce");
    EXPECT_EQ(plain.status, 204);
    for (const AcmeResponse* r : {&head, &plain}) {
        EXPECT_EQ(r->header("Cache-Control").value_or(""), "no-store");
        ASSERT_TRUE(r->header("Replay-Nonce"));
    }
    EXPECT_NE(*head.header("Replay-Nonce"), *plain.header("Replay-Nonce"));
}

TEST_F(AcmeServerTest, ReusedNonceIsBadNonceWithAFreshOne) {
    const Client client = newAccount();
    const std::string body = signedBody(
        client, "/acme/new-order", nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", "a@example.org"}}}}});
    EXPECT_EQ(postBody("/acme/new-order", body).status, 201);
    const AcmeResponse replay = postBody("/acme/new-order", body);
    EXPECT_EQ(replay.status, 400);
    EXPECT_EQ(problemType(replay), acme("badNonce"));
    EXPECT_EQ(replay.header("Content-Type").value_or(""), "application/problem+json");
    EXPECT_TRUE(replay.header("Replay-Nonce"));
    EXPECT_EQ(mailer.sent.size(), 1U);
}

TEST_F(AcmeServerTest, UnknownAndExpiredNoncesAreBad) {
    const Client client = newAccount();
    AcmeResponse response = post(client, client.kid, std::nullopt, {nlohmann::json{{"nonce", "bm9wZQ"}}});
    EXPECT_EQ(problemType(response), acme("badNonce"));
    const std::string body = signedBody(client, pathOf(client.kid), std::nullopt);
    clock.advance(std::chrono::hours(1) + std::chrono::seconds(1));
    response = postBody(pathOf(client.kid), body);
    EXPECT_EQ(problemType(response), acme("badNonce"));
    response = post(client, client.kid, std::nullopt, {nlohmann::json{{"nonce", nullptr}}});
    EXPECT_EQ(problemType(response), acme("badNonce"));
}

TEST_F(AcmeServerTest, UrlMustBeTheRequestsUrl) {
    const Client client = newAccount();
    AcmeResponse response =
        post(client, client.kid, std::nullopt, {nlohmann::json{{"url", "https://ca.example/acme/new-order"}}});
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(problemType(response), acme("unauthorized"));
    response = post(client, client.kid, std::nullopt, {nlohmann::json{{"url", nullptr}}});
    EXPECT_EQ(problemType(response), acme("unauthorized"));
}

TEST_F(AcmeServerTest, ExactlyOneOfJwkAndKid) {
    const Client client = newAccount();
    const auto jwk = nlohmann::json::parse(*crypto::jwkJson(crypto::PublicKey::of(client.key)));
    AcmeResponse response = post(client, client.kid, std::nullopt, {nlohmann::json{{"jwk", jwk}}});
    EXPECT_EQ(problemType(response), acme("malformed"));
    response = post(client, client.kid, std::nullopt, {nlohmann::json{{"kid", nullptr}}});
    EXPECT_EQ(problemType(response), acme("malformed"));
    // jwk where kid is needed, and kid for newAccount.
    response = post(client, "/acme/new-order", nlohmann::json::object(), {std::nullopt, true});
    EXPECT_EQ(problemType(response), acme("malformed"));
    response = post(client, "/acme/new-account", nlohmann::json::object());
    EXPECT_EQ(problemType(response), acme("malformed"));
}

TEST_F(AcmeServerTest, ContentTypeAndAlgorithm) {
    const Client client = newAccount();
    const std::string body = signedBody(client, pathOf(client.kid), std::nullopt);
    AcmeResponse response = postBody(pathOf(client.kid), body, "application/json");
    EXPECT_EQ(response.status, 415);
    EXPECT_EQ(problemType(response), acme("malformed"));
    EXPECT_EQ(postBody(pathOf(client.kid), body, "application/jose+json; charset=utf-8").status, 200);
    // HS256 cannot be made with signJws; the server refuses it from the header alone.
    nlohmann::json jws = nlohmann::json::parse(signedBody(client, pathOf(client.kid), std::nullopt));
    const std::string header = R"({"alg":"HS256","kid":")" + client.kid + R"(","nonce":"x","url":"x"})";
    jws["protected"] = crypto::base64UrlEncode(base::asBytes(header));
    response = postBody(pathOf(client.kid), jws.dump());
    EXPECT_EQ(problemType(response), acme("badSignatureAlgorithm"));
    EXPECT_EQ(json(response)["algorithms"], nlohmann::json({"RS256", "ES256", "ES384"}));
}

TEST_F(AcmeServerTest, OversizedBodyIs413) {
    const Client client = newAccount();
    const std::string path = pathOf(client.kid);
    EXPECT_EQ(server->handle({"POST", path, "application/jose+json", {}, true}).status, 413);
    const std::string big(config.maxBody + 1, 'x');
    const AcmeResponse response = server->handle({"POST", path, "application/jose+json", big});
    EXPECT_EQ(response.status, 413);
    EXPECT_TRUE(response.header("Replay-Nonce"));
}

TEST_F(AcmeServerTest, AlgorithmMustBeTheKeys) {
    const Client client = newAccount(crypto::KeySpec::P384);
    // ES256 announced, the key is P-384 (whose algorithm is ES384): signJws refuses to make that,
    // so the header is swapped after signing.
    nlohmann::json jws = nlohmann::json::parse(signedBody(client, pathOf(client.kid), std::nullopt));
    nlohmann::json header = nlohmann::json::parse(*crypto::unverifiedProtectedHeader(jws.dump()));
    header["alg"] = "ES256";
    jws["protected"] = crypto::base64UrlEncode(base::asBytes(header.dump()));
    const AcmeResponse response = postBody(pathOf(client.kid), jws.dump());
    EXPECT_EQ(problemType(response), acme("badSignatureAlgorithm"));
    EXPECT_EQ(json(response)["algorithms"], nlohmann::json({"RS256", "ES256", "ES384"}));
}

TEST_F(AcmeServerTest, ForgedSignatureIsRefused) {
    const Client client = newAccount();
    const Client mallory{*crypto::generateKey(crypto::KeySpec::P256), client.kid};
    const AcmeResponse response = post(mallory, client.kid, std::nullopt);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(problemType(response), acme("malformed"));
}

TEST_F(AcmeServerTest, UnknownKidIsAccountDoesNotExist) {
    Client client = newAccount();
    client.kid = "https://ca.example/acme/acct/nosuchaccount";
    const AcmeResponse response = post(client, "/acme/new-order", nlohmann::json::object());
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(problemType(response), acme("accountDoesNotExist"));
}

TEST_F(AcmeServerTest, ExistingKeyAndOnlyReturnExisting) {
    const Client client = newAccount();
    const Client again{client.key, {}};
    AcmeResponse response = post(again, "/acme/new-account", nlohmann::json{{"termsOfServiceAgreed", true}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Location").value_or(""), client.kid);
    response = post(again, "/acme/new-account", nlohmann::json{{"onlyReturnExisting", true}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(json(response)["contact"], nlohmann::json({"mailto:admin@example.org"}));
    const Client stranger{*crypto::generateKey(crypto::KeySpec::P256), {}};
    response = post(stranger, "/acme/new-account", nlohmann::json{{"onlyReturnExisting", true}});
    EXPECT_EQ(problemType(response), acme("accountDoesNotExist"));
}

TEST_F(AcmeServerTest, ContactsMustBePlainMailtoAddresses) {
    const Client client{*crypto::generateKey(crypto::KeySpec::P256), {}};
    AcmeResponse response = post(client, "/acme/new-account", nlohmann::json{{"contact", {"tel:+4912345"}}});
    EXPECT_EQ(problemType(response), acme("unsupportedContact"));
    response = post(client, "/acme/new-account", nlohmann::json{{"contact", {"mailto:a@example.org?subject=x"}}});
    EXPECT_EQ(problemType(response), acme("invalidContact"));
    response = post(client, "/acme/new-account", nlohmann::json{{"contact", {"mailto:no-domain"}}});
    EXPECT_EQ(problemType(response), acme("invalidContact"));
    response = post(client, "/acme/new-account", nlohmann::json{{"contact", {"mailto:a@Example.org"}}});
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(json(response)["contact"], nlohmann::json({"mailto:a@example.org"}));
    EXPECT_EQ(json(response)["status"], "valid");
}

TEST_F(AcmeServerTest, AccountUpdateAndDeactivation) {
    const Client client = newAccount();
    AcmeResponse response = post(client, client.kid, nlohmann::json{{"contact", {"mailto:new@example.org"}}});
    EXPECT_EQ(json(response)["contact"], nlohmann::json({"mailto:new@example.org"}));
    EXPECT_EQ(json(post(client, client.kid, std::nullopt))["contact"], nlohmann::json({"mailto:new@example.org"}));
    response = post(client, client.kid, nlohmann::json{{"status", "revoked"}});
    EXPECT_EQ(problemType(response), acme("malformed"));
    response = post(client, client.kid, nlohmann::json{{"status", "deactivated"}});
    EXPECT_EQ(json(response)["status"], "deactivated");
    response = post(client, "/acme/new-order",
                    nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", "a@example.org"}}}}});
    EXPECT_EQ(response.status, 401); // RFC 8555 7.3.6
    EXPECT_EQ(problemType(response), acme("unauthorized"));
    EXPECT_TRUE(mailer.sent.empty());
    // Nor does newAccount with its key bring it back.
    response = post(Client{client.key, {}}, "/acme/new-account", nlohmann::json{{"termsOfServiceAgreed", true}});
    EXPECT_EQ(response.status, 401);
}

TEST_F(AcmeServerTest, ObjectsOfAnotherAccountAreUnauthorized) {
    const Client alice = newAccount();
    const Client mallory = newAccount();
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    const auto order = issue(alice, {"alice@example.org"}, certKey);
    std::string orderUrl = order["finalize"];
    orderUrl.resize(orderUrl.size() - std::string_view("/finalize").size());
    for (const std::string& url : {orderUrl, order["authorizations"][0].get<std::string>(),
                                   order["certificate"].get<std::string>(), alice.kid, alice.kid + "/orders"}) {
        const AcmeResponse response = post(mallory, url, std::nullopt);
        EXPECT_EQ(response.status, 403) << url;
        EXPECT_EQ(problemType(response), acme("unauthorized")) << url;
    }
    const Challenge c{
        json(post(alice, order["authorizations"][0].get<std::string>(), std::nullopt))["challenges"][0]["url"],
        {},
        {},
        {}};
    EXPECT_EQ(post(mallory, c.url, nlohmann::json::object()).status, 403);
    EXPECT_EQ(post(mallory, order["finalize"].get<std::string>(), nlohmann::json{{"csr", "AA"}}).status, 403);
    EXPECT_EQ(post(mallory, "/acme/order/nosuchorder", std::nullopt).status, 404);
}

TEST_F(AcmeServerTest, IdentifierTypesAndSyntax) {
    const Client client = newAccount();
    AcmeResponse response =
        post(client, "/acme/new-order", nlohmann::json{{"identifiers", {{{"type", "dns"}, {"value", "example.org"}}}}});
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(problemType(response), acme("unsupportedIdentifier"));
    for (const char* bad :
         {"no-at-sign", "a@b", "a..b@example.org", "a@-example.org", "\"q\"@example.org", "a@[1.2.3.4]"}) {
        response =
            post(client, "/acme/new-order", nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", bad}}}}});
        EXPECT_EQ(problemType(response), acme("rejectedIdentifier")) << bad;
    }
    response = post(client, "/acme/new-order", nlohmann::json{{"identifiers", nlohmann::json::array()}});
    EXPECT_EQ(problemType(response), acme("malformed"));
    EXPECT_TRUE(mailer.sent.empty());
}

TEST_F(AcmeServerTest, KeyRollover) {
    Client client = newAccount(crypto::KeySpec::Rsa2048);
    const Client other = newAccount();
    const crypto::PrivateKey newKey = *crypto::generateKey(crypto::KeySpec::P256);
    auto rollTo = [&](const crypto::PrivateKey& key, const Client& signer) {
        const nlohmann::json innerHeader = {
            {"alg", algFor(key)},
            {"jwk", nlohmann::json::parse(*crypto::jwkJson(crypto::PublicKey::of(key)))},
            {"url", "https://ca.example/acme/key-change"}};
        const nlohmann::json innerPayload = {
            {"account", signer.kid},
            {"oldKey", nlohmann::json::parse(*crypto::jwkJson(crypto::PublicKey::of(signer.key)))}};
        const std::string inner = *crypto::signJws(key, innerHeader.dump(), base::asBytes(innerPayload.dump()));
        return post(signer, "/acme/key-change", nlohmann::json::parse(inner));
    };
    // To the key of another account: conflict, with that account's URL.
    AcmeResponse response = rollTo(other.key, client);
    EXPECT_EQ(response.status, 409);
    EXPECT_EQ(response.header("Location").value_or(""), other.kid);
    // Signed by the wrong inner key for the claimed account.
    response = rollTo(newKey, Client{other.key, client.kid});
    EXPECT_NE(response.status, 200);

    response = rollTo(newKey, client);
    ASSERT_EQ(response.status, 200) << response.body;
    // The old key no longer speaks for the account; the new one does.
    EXPECT_EQ(post(client, client.kid, std::nullopt).status, 400);
    const Client rolled{newKey, client.kid};
    EXPECT_EQ(post(rolled, client.kid, std::nullopt).status, 200);
    const Client oldAsNew{client.key, {}};
    EXPECT_EQ(problemType(post(oldAsNew, "/acme/new-account", nlohmann::json{{"onlyReturnExisting", true}})),
              acme("accountDoesNotExist"));
    // Challenges now use the new key's thumbprint.
    const Order order = newOrder(rolled, {"alice@example.org"});
    const Challenge c = challengeOf(rolled, order.body["authorizations"][0]);
    EXPECT_EQ(reply(c, expectedResponse(rolled, c)), ReplyVerdict::Accepted);
}

TEST_F(AcmeServerTest, RateLimitPerAccountAndPerAddress) {
    config.newOrdersPerAccountPerHour = 2;
    config.newOrdersPerAddressPerHour = 3;
    restart();
    const Client client = newAccount();
    newOrder(client, {"a@example.org"});
    clock.advance(std::chrono::minutes(10));
    newOrder(client, {"b@example.org"});
    auto order = [&](const Client& who, const std::string& email) {
        return post(who, "/acme/new-order", nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", email}}}}});
    };
    AcmeResponse response = order(client, "c@example.org");
    EXPECT_EQ(response.status, 429);
    EXPECT_EQ(problemType(response), acme("rateLimited"));
    EXPECT_EQ(response.header("Retry-After").value_or(""), "3000"); // the first order leaves the window in 50 min
    clock.advance(std::chrono::minutes(50));
    EXPECT_EQ(order(client, "c@example.org").status, 201);

    // Per address, across accounts.
    const Client second = newAccount();
    const Client third = newAccount();
    EXPECT_EQ(order(second, "x@example.org").status, 201);
    EXPECT_EQ(order(third, "x@example.org").status, 201);
    EXPECT_EQ(order(second, "x@example.org").status, 201);
    response = order(third, "X@EXAMPLE.ORG");
    EXPECT_EQ(response.status, 429);
    EXPECT_TRUE(response.header("Retry-After"));
}

TEST_F(AcmeServerTest, MailFailureLeavesNoOrder) {
    const Client client = newAccount();
    mailer.fail = true;
    const AcmeResponse response = post(
        client, "/acme/new-order", nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", "a@example.org"}}}}});
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(problemType(response), acme("serverInternal"));
    EXPECT_EQ(json(post(client, client.kid + "/orders", std::nullopt))["orders"], nlohmann::json::array());
}

TEST_F(AcmeServerTest, RenewalInfoAndReplaces) {
    const Client client = newAccount();
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    issue(client, {"alice@example.org"}, certKey);
    ASSERT_EQ(published.size(), 1U);
    const std::string certId = *crypto::ariCertId(published[0]);
    AcmeResponse info = get("/acme/renewal-info/" + certId);
    ASSERT_EQ(info.status, 200) << info.body;
    EXPECT_EQ(info.header("Retry-After").value_or(""), "21600");
    // Valid from an hour before issuance (2026-06-01) for 90 days: the window runs from two thirds
    // to five sixths of those 90 days and an hour.
    EXPECT_EQ(json(info)["suggestedWindow"]["start"], "2026-07-30T23:40:00Z");
    EXPECT_EQ(json(info)["suggestedWindow"]["end"], "2026-08-14T23:50:00Z");
    EXPECT_EQ(get("/acme/renewal-info/AAAA.AAAA").status, 404);

    // Someone else's certificate, and an unknown one.
    const Client mallory = newAccount();
    auto orderReplacing = [&](const Client& who, const std::string& id) {
        return post(
            who, "/acme/new-order",
            nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", "alice@example.org"}}}}, {"replaces", id}});
    };
    EXPECT_EQ(problemType(orderReplacing(mallory, certId)), acme("unauthorized"));
    EXPECT_EQ(problemType(orderReplacing(client, "AAAA.AAAA")), acme("malformed"));

    const AcmeResponse renewal = orderReplacing(client, certId);
    ASSERT_EQ(renewal.status, 201) << renewal.body;
    EXPECT_EQ(json(renewal)["replaces"], certId);
    const AcmeResponse twice = orderReplacing(client, certId);
    EXPECT_EQ(twice.status, 409);
    EXPECT_EQ(problemType(twice), acme("alreadyReplaced"));
}

TEST_F(AcmeServerTest, ReplacesAfterTheReplacementWasIssued) {
    const Client client = newAccount();
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    issue(client, {"alice@example.org"}, certKey);
    const std::string certId = *crypto::ariCertId(published[0]);
    issue(client, {"alice@example.org"}, *crypto::generateKey(crypto::KeySpec::P256), certId);
    ASSERT_EQ(published.size(), 2U);
    // The replacement is valid now (its order no longer pending).
    const AcmeResponse again = post(
        client, "/acme/new-order",
        nlohmann::json{{"identifiers", {{{"type", "email"}, {"value", "alice@example.org"}}}}, {"replaces", certId}});
    EXPECT_EQ(problemType(again), acme("alreadyReplaced"));
}

TEST_F(AcmeServerTest, RevokeThenRenewalInfoAndAlreadyRevoked) {
    const Client client = newAccount();
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    issue(client, {"alice@example.org"}, certKey);
    const crypto::Certificate& leaf = published.at(0);
    const std::string certificate = crypto::base64UrlEncode(leaf.der());
    // Another account may not revoke it.
    const Client mallory = newAccount();
    AcmeResponse response = post(mallory, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}});
    EXPECT_EQ(problemType(response), acme("unauthorized"));
    response = post(client, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}, {"reason", 7}});
    EXPECT_EQ(response.status, 400);

    response = post(client, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}, {"reason", 1}});
    ASSERT_EQ(response.status, 200) << response.body;
    const AcmeResponse info = get("/acme/renewal-info/" + *crypto::ariCertId(leaf));
    ASSERT_EQ(info.status, 200);
    EXPECT_EQ(json(info)["suggestedWindow"]["start"], "2026-05-31T22:00:00Z");
    EXPECT_EQ(json(info)["suggestedWindow"]["end"], "2026-05-31T23:00:00Z");
    response = post(client, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}});
    EXPECT_EQ(problemType(response), acme("alreadyRevoked"));
}

TEST_F(AcmeServerTest, RevokeWithTheCertificatesOwnKey) {
    const Client client = newAccount();
    const crypto::PrivateKey certKey = *crypto::generateKey(crypto::KeySpec::P256);
    issue(client, {"alice@example.org"}, certKey);
    const std::string certificate = crypto::base64UrlEncode(published.at(0).der());
    // A jwk that is not the certificate's key.
    const Client stranger{*crypto::generateKey(crypto::KeySpec::P256), {}};
    AcmeResponse response = post(stranger, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}});
    EXPECT_EQ(problemType(response), acme("unauthorized"));
    const Client holder{certKey, {}};
    response = post(holder, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}});
    EXPECT_EQ(response.status, 200) << response.body;
    response = post(holder, "/acme/revoke-cert", nlohmann::json{{"certificate", certificate}});
    EXPECT_EQ(problemType(response), acme("alreadyRevoked"));
    // A certificate this CA did not issue.
    response = post(holder, "/acme/revoke-cert",
                    nlohmann::json{{"certificate", crypto::base64UrlEncode(issuer->root().der())}});
    EXPECT_EQ(response.status, 404);
}

TEST_F(AcmeServerTest, StateSurvivesARestartButNoncesDoNot) {
    const Client client = newAccount();
    const Order order = newOrder(client, {"alice@example.org"});
    const std::string body = signedBody(client, pathOf(order.url), std::nullopt);
    restart();
    EXPECT_EQ(problemType(postBody(pathOf(order.url), body)), acme("badNonce"));
    EXPECT_EQ(json(post(client, order.url, std::nullopt))["status"], "pending");
}

TEST_F(AcmeServerTest, EveryPostAnswerCarriesANonce) {
    const Client client = newAccount();
    for (const AcmeResponse& response :
         {post(client, client.kid, std::nullopt), post(client, "/acme/order/none", std::nullopt),
          postBody("/acme/new-order", "not json")}) {
        EXPECT_TRUE(response.header("Replay-Nonce")) << response.body;
    }
}

} // namespace
} // namespace sealpost::ca::acme::test
