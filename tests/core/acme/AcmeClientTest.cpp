#include "acme/AcmeClient.h"

#include "AcmeTestFakes.h"
#include "crypto/Jose.h"
#include "crypto/KeyGen.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sealpost::acme {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::ManualClock;
using test::RecordingSleeper;
using test::ScriptedTransport;

const std::string kDirectoryUrl = "https://ca.test/directory";

std::string directoryJson(bool withRenewalInfo) {
    json d = {{"newNonce", "https://ca.test/acme/new-nonce"},
              {"newAccount", "https://ca.test/acme/new-account"},
              {"newOrder", "https://ca.test/acme/new-order"},
              {"revokeCert", "https://ca.test/acme/revoke-cert"},
              {"keyChange", "https://ca.test/acme/key-change"},
              {"meta",
               {{"termsOfService", "https://ca.test/terms"},
                {"website", "https://ca.test/"},
                {"caaIdentities", json::array()},
                {"externalAccountRequired", false}}}};
    if (withRenewalInfo) {
        d["renewalInfo"] = "https://ca.test/acme/renewal-info";
    }
    return d.dump();
}

std::string problemJson(std::string_view type, std::string_view detail, int status) {
    return json{{"type", "urn:ietf:params:acme:error:" + std::string(type)}, {"detail", detail}, {"status", status}}
        .dump();
}

const std::vector<std::pair<std::string, std::string>> kProblemType = {{"Content-Type", "application/problem+json"}};

std::string orderJson(std::string_view status) {
    json o = {{"status", status},
              {"expires", "2030-01-01T00:00:00Z"},
              {"identifiers", {{{"type", "email"}, {"value", "alice@example.org"}}}},
              {"authorizations", {"https://ca.test/acme/authz/1"}},
              {"finalize", "https://ca.test/acme/order/1/finalize"}};
    if (status == "valid") {
        o["certificate"] = "https://ca.test/acme/cert/1";
    }
    return o.dump();
}

std::string authzJson(std::string_view status) {
    return json{{"status", status},
                {"identifier", {{"type", "email"}, {"value", "alice@example.org"}}},
                {"challenges",
                 {{{"type", "email-reply-00"},
                   {"url", "https://ca.test/acme/chall/1"},
                   {"status", status == "valid" ? "valid" : "pending"},
                   {"from", "acme@ca.test"},
                   {"token", "abc"}}}}}
        .dump();
}

json protectedHeaderOf(const HttpRequest& request) {
    auto header = crypto::unverifiedProtectedHeader(request.body);
    EXPECT_TRUE(header.ok());
    return header.ok() ? json::parse(*header) : json{};
}

json payloadOf(const HttpRequest& request, const crypto::PrivateKey& key) {
    auto verified = crypto::verifyJws(request.body, crypto::PublicKey::of(key));
    EXPECT_TRUE(verified.ok()) << (verified.ok() ? "" : verified.error().detail);
    if (!verified.ok() || verified->payload.empty()) {
        return json{};
    }
    return json::parse(base::asString(verified->payload));
}

class AcmeClientTest : public ::testing::Test {
protected:
    AcmeClientTest() : sleeper(clock) {}

    AcmeClient makeClient(int maxBadNonceRetries = 5) {
        AcmeClientConfig config;
        config.directoryUrl = kDirectoryUrl;
        config.transport = &transport;
        config.clock = &clock;
        config.sleeper = &sleeper;
        config.stop = stop.get_token();
        config.maxBadNonceRetries = maxBadNonceRetries;
        config.onProgress = [this](const AcmeProgress& p) { progress.push_back(p); };
        return {std::move(config), key};
    }

    // A client with the directory fetched and an account URL, as after newAccount.
    AcmeClient readyClient() {
        AcmeClient client = makeClient();
        transport.add(200, directoryJson(true));
        EXPECT_TRUE(client.directory().ok());
        client.setAccountUrl("https://ca.test/acme/acct/7");
        transport.requests.clear();
        return client;
    }

    crypto::PrivateKey key = crypto::generateKey(crypto::KeySpec::P256).value();
    ManualClock clock{base::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1))};
    RecordingSleeper sleeper;
    ScriptedTransport transport;
    std::stop_source stop;
    std::vector<AcmeProgress> progress;
};

TEST_F(AcmeClientTest, NewAccountSignsWithJwkAndRetriesBadNonceWithTheFreshNonce) {
    AcmeClient client = makeClient();
    transport.add(200, directoryJson(false), {{"Replay-Nonce", "n1"}});
    transport.add(400, problemJson("badNonce", "stale", 400),
                  {{"Content-Type", "application/problem+json"}, {"Replay-Nonce", "n2"}});
    transport.add(400, problemJson("badNonce", "stale", 400),
                  {{"Content-Type", "application/problem+json"}, {"Replay-Nonce", "n3"}});
    transport.add(
        201, json{{"status", "valid"}, {"orders", "https://ca.test/acme/acct/7/orders"}}.dump(),
        {{"Location", "https://ca.test/acme/acct/7"}, {"Link", "<https://ca.test/terms>;rel=\"terms-of-service\""}});

    auto account = client.newAccount({{"mailto:alice@example.org"}, true, false});
    ASSERT_TRUE(account.ok()) << account.error().detail();
    EXPECT_TRUE(account->created);
    EXPECT_EQ(account->url, "https://ca.test/acme/acct/7");
    EXPECT_EQ(account->termsOfServiceUrl, "https://ca.test/terms");
    EXPECT_EQ(client.accountUrl(), "https://ca.test/acme/acct/7");

    ASSERT_EQ(transport.requests.size(), 4U); // no HEAD newNonce: every answer carried one
    EXPECT_EQ(transport.requests[1].method, HttpMethod::Post);
    const std::vector<std::string> nonces = {protectedHeaderOf(transport.requests[1])["nonce"],
                                             protectedHeaderOf(transport.requests[2])["nonce"],
                                             protectedHeaderOf(transport.requests[3])["nonce"]};
    EXPECT_EQ(nonces, (std::vector<std::string>{"n1", "n2", "n3"}));
    const json header = protectedHeaderOf(transport.requests[3]);
    EXPECT_TRUE(header.contains("jwk"));
    EXPECT_FALSE(header.contains("kid"));
    EXPECT_EQ(header["url"], "https://ca.test/acme/new-account");
    const json payload = payloadOf(transport.requests[3], key);
    EXPECT_EQ(payload["contact"], json::array({"mailto:alice@example.org"}));
    EXPECT_EQ(payload["termsOfServiceAgreed"], true);
    EXPECT_FALSE(payload.contains("onlyReturnExisting"));
    EXPECT_TRUE(sleeper.durations.empty());
    ASSERT_EQ(progress.size(), 2U);
    EXPECT_EQ(progress[1].kind, AcmeProgress::Kind::BadNonceRetry);
    EXPECT_EQ(progress[1].attempt, 2);
    EXPECT_EQ(progress[1].url, "https://ca.test/acme/new-account");
}

TEST_F(AcmeClientTest, BadNonceRetriesAreBounded) {
    AcmeClient client = makeClient(2);
    transport.add(200, directoryJson(false));
    for (int i = 0; i < 3; ++i) {
        transport.add(400, problemJson("badNonce", "stale", 400), kProblemType);
    }
    transport.add(201, "{}"); // never reached
    auto account = client.newAccount({});
    ASSERT_FALSE(account.ok());
    EXPECT_EQ(account.error().code(), base::ErrorCode::TemporaryFailure);
    EXPECT_TRUE(account.error().isProblem("badNonce"));
    EXPECT_EQ(account.error().httpStatus, 400);
    EXPECT_NE(account.error().detail().find("after 2 retries"), std::string::npos) << account.error().detail();
    EXPECT_EQ(transport.requests.size(), 4U); // directory + 1 try + 2 retries
}

TEST_F(AcmeClientTest, AsksNewNonceWhenNoAnswerCarriedOne) {
    AcmeClient client = makeClient();
    transport.add(200, directoryJson(false), {{"Replay-Nonce", ""}});
    transport.add(200, "", {{"Replay-Nonce", "from-head"}});
    transport.add(201, json{{"status", "valid"}}.dump(), {{"Location", "https://ca.test/acme/acct/1"}});
    ASSERT_TRUE(client.newAccount({}).ok());
    ASSERT_EQ(transport.requests.size(), 3U);
    EXPECT_EQ(transport.requests[1].method, HttpMethod::Head);
    EXPECT_EQ(transport.requests[1].url, "https://ca.test/acme/new-nonce");
    EXPECT_EQ(protectedHeaderOf(transport.requests[2])["nonce"], "from-head");
}

TEST_F(AcmeClientTest, NewOrderSignsWithKidAndCarriesReplaces) {
    AcmeClient client = readyClient();
    transport.add(201, orderJson("pending"), {{"Location", "https://ca.test/acme/order/1"}});
    auto order = client.newOrder({{{"email", "alice@example.org"}}, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"});
    ASSERT_TRUE(order.ok()) << order.error().detail();
    EXPECT_EQ(order->url, "https://ca.test/acme/order/1");
    EXPECT_EQ(order->status, OrderStatus::Pending);
    EXPECT_EQ(order->authorizations, std::vector<std::string>{"https://ca.test/acme/authz/1"});
    EXPECT_EQ(order->identifiers, (std::vector<Identifier>{{"email", "alice@example.org"}}));
    ASSERT_EQ(transport.requests.size(), 1U);
    const json header = protectedHeaderOf(transport.requests[0]);
    EXPECT_EQ(header["kid"], "https://ca.test/acme/acct/7");
    EXPECT_FALSE(header.contains("jwk"));
    const json payload = payloadOf(transport.requests[0], key);
    EXPECT_EQ(payload["replaces"], "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    EXPECT_EQ(payload["identifiers"][0]["type"], "email");
}

TEST_F(AcmeClientTest, ShortRetryAfterOn429IsWaitedOutAndRetried) {
    AcmeClient client = readyClient();
    transport.add(429, problemJson("rateLimited", "slow down", 429),
                  {{"Content-Type", "application/problem+json"}, {"Retry-After", "7"}});
    transport.add(201, orderJson("pending"), {{"Location", "https://ca.test/acme/order/1"}});
    auto order = client.newOrder({{{"dns", "example.org"}}, {}});
    ASSERT_TRUE(order.ok()) << order.error().detail();
    EXPECT_EQ(sleeper.durations, std::vector<std::chrono::milliseconds>{7s});
    EXPECT_EQ(transport.requests.size(), 2U);
    ASSERT_EQ(progress.size(), 1U);
    EXPECT_EQ(progress[0].kind, AcmeProgress::Kind::WaitingToRetry);
    EXPECT_EQ(progress[0].nextDelay, 7s);
}

TEST_F(AcmeClientTest, RetryAfterWaitsAreBounded) {
    AcmeClient client = readyClient();
    for (int i = 0; i < 3; ++i) {
        transport.add(503, "", {{"Retry-After", "2"}});
    }
    auto order = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(order.error().httpStatus, 503);
    EXPECT_EQ(sleeper.durations, (std::vector<std::chrono::milliseconds>{2s, 2s}));
    EXPECT_EQ(transport.requests.size(), 3U);
}

TEST_F(AcmeClientTest, DirectoryGetWaitsOutA503) {
    AcmeClient client = makeClient();
    transport.add(503, "", {{"Retry-After", "3"}});
    transport.add(200, directoryJson(true));
    auto dir = client.directory();
    ASSERT_TRUE(dir.ok()) << dir.error().detail();
    EXPECT_EQ(dir->renewalInfo, "https://ca.test/acme/renewal-info");
    EXPECT_EQ(sleeper.durations, std::vector<std::chrono::milliseconds>{3s});
}

TEST_F(AcmeClientTest, RetryAfterAsHttpDateOn503) {
    AcmeClient client = readyClient();
    // The clock stands at 2026-03-01 00:00:00 UTC.
    transport.add(503, "", {{"Retry-After", "Sun, 01 Mar 2026 00:00:20 GMT"}});
    transport.add(200, orderJson("ready"));
    auto order = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_TRUE(order.ok()) << order.error().detail();
    EXPECT_EQ(order->status, OrderStatus::Ready);
    EXPECT_EQ(sleeper.durations, std::vector<std::chrono::milliseconds>{20s});
}

TEST_F(AcmeClientTest, LongRetryAfterIsReturnedNotWaited) {
    AcmeClient client = readyClient();
    transport.add(429, problemJson("rateLimited", "too many certificates", 429),
                  {{"Content-Type", "application/problem+json"}, {"Retry-After", "3600"}});
    auto order = client.newOrder({{{"dns", "example.org"}}, {}});
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::TemporaryFailure);
    EXPECT_TRUE(order.error().isProblem("rateLimited"));
    EXPECT_EQ(order.error().retryAfter, std::optional<std::chrono::seconds>(3600s));
    EXPECT_TRUE(sleeper.durations.empty());
}

TEST_F(AcmeClientTest, ProblemDocumentWithSubproblemsIsSurfaced) {
    AcmeClient client = readyClient();
    const json problem = {
        {"type", "urn:ietf:params:acme:error:rejectedIdentifier"},
        {"detail", "some identifiers were rejected"},
        {"status", 400},
        {"subproblems",
         {{{"type", "urn:ietf:params:acme:error:unsupportedIdentifier"},
           {"detail", "not an address we serve"},
           {"identifier", {{"type", "email"}, {"value", "bob@elsewhere.test"}}}},
          {{"type", "urn:ietf:params:acme:error:rejectedIdentifier"}, {"detail", "no identifier here"}}}}};
    transport.add(400, problem.dump(), kProblemType);
    auto order = client.newOrder({{{"email", "bob@elsewhere.test"}, {"email", "x@ca.test"}}, {}});
    ASSERT_FALSE(order.ok());
    const AcmeError& error = order.error();
    EXPECT_EQ(error.code(), base::ErrorCode::PermanentFailure);
    ASSERT_TRUE(error.problem.has_value());
    EXPECT_EQ(error.problem->acmeType(), "rejectedIdentifier");
    EXPECT_EQ(error.problem->status, 400);
    ASSERT_EQ(error.problem->subproblems.size(), 2U);
    EXPECT_EQ(error.problem->subproblems[0].type, "urn:ietf:params:acme:error:unsupportedIdentifier");
    ASSERT_TRUE(error.problem->subproblems[0].identifier.has_value());
    EXPECT_EQ(*error.problem->subproblems[0].identifier, (Identifier{"email", "bob@elsewhere.test"}));
    EXPECT_FALSE(error.problem->subproblems[1].identifier.has_value());
    EXPECT_NE(error.detail().find("bob@elsewhere.test"), std::string::npos) << error.detail();
    EXPECT_NE(error.detail().find("some identifiers were rejected"), std::string::npos);
}

TEST_F(AcmeClientTest, AlreadyReplacedAndUnauthorizedAreTellableApart) {
    AcmeClient client = readyClient();
    transport.add(409, problemJson("alreadyReplaced", "replaced already", 409), kProblemType);
    auto replaced = client.newOrder({{{"email", "alice@example.org"}}, "a.b"});
    ASSERT_FALSE(replaced.ok());
    EXPECT_TRUE(replaced.error().isProblem("alreadyReplaced"));
    EXPECT_EQ(replaced.error().code(), base::ErrorCode::PermanentFailure);

    transport.add(403, problemJson("unauthorized", "account deactivated", 403), kProblemType);
    auto refused = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(refused.error().isProblem("unauthorized"));
    EXPECT_EQ(refused.error().code(), base::ErrorCode::AuthFailed);
}

TEST_F(AcmeClientTest, PollAuthorizationBacksOffAndHonoursRetryAfter) {
    AcmeClient client = readyClient();
    transport.add(200, authzJson("pending"));
    transport.add(200, authzJson("pending"), {{"Retry-After", "5"}});
    transport.add(200, authzJson("pending"));
    transport.add(200, authzJson("valid"));
    auto authz = client.pollAuthorization("https://ca.test/acme/authz/1");
    ASSERT_TRUE(authz.ok()) << authz.error().detail();
    EXPECT_EQ(authz->status, AuthorizationStatus::Valid);
    ASSERT_NE(authz->challenge("email-reply-00"), nullptr);
    EXPECT_EQ(authz->challenge("email-reply-00")->from, "acme@ca.test");
    // 1 s, then the server's 5 s, then the doubled backoff (1, 2, 4 s) resumes at 4 s.
    EXPECT_EQ(sleeper.durations, (std::vector<std::chrono::milliseconds>{1s, 5s, 4s}));
    ASSERT_EQ(progress.size(), 4U);
    EXPECT_EQ(progress[0].kind, AcmeProgress::Kind::Polled);
    EXPECT_EQ(progress[0].attempt, 1);
    EXPECT_EQ(progress[0].status, "pending");
    EXPECT_EQ(progress[1].nextDelay, 5s);
    EXPECT_EQ(progress[3].status, "valid");
    EXPECT_EQ(progress[3].nextDelay, 0ms);
}

TEST_F(AcmeClientTest, PollBackoffIsCappedAndGivesUpAtTheDeadline) {
    AcmeClient client = readyClient();
    for (int i = 0; i < 10; ++i) {
        transport.add(200, orderJson("processing"));
    }
    PollOptions options;
    options.timeout = 20s;
    options.maxDelay = 5s;
    auto order = client.pollOrder("https://ca.test/acme/order/1", options);
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::TemporaryFailure);
    EXPECT_NE(order.error().detail().find("still processing"), std::string::npos) << order.error().detail();
    // 1 + 2 + 4 + 5 + 5 = 17 s; another 5 s would pass the 20 s deadline.
    EXPECT_EQ(sleeper.durations, (std::vector<std::chrono::milliseconds>{1s, 2s, 4s, 5s, 5s}));
    EXPECT_EQ(transport.requests.size(), 6U);
}

TEST_F(AcmeClientTest, PollGivesUpWhenRetryAfterPassesTheDeadline) {
    AcmeClient client = readyClient();
    transport.add(200, authzJson("pending"), {{"Retry-After", "86400"}});
    auto authz = client.pollAuthorization("https://ca.test/acme/authz/1");
    ASSERT_FALSE(authz.ok());
    EXPECT_EQ(authz.error().code(), base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(authz.error().retryAfter, std::optional<std::chrono::seconds>(86400s));
    EXPECT_TRUE(sleeper.durations.empty());
}

TEST_F(AcmeClientTest, CancellationStopsAPoll) {
    AcmeClient client = readyClient();
    for (int i = 0; i < 5; ++i) {
        transport.add(200, authzJson("pending"));
    }
    sleeper.onSleep = [this] {
        if (sleeper.durations.size() == 2) {
            stop.request_stop();
        }
    };
    auto authz = client.pollAuthorization("https://ca.test/acme/authz/1");
    ASSERT_FALSE(authz.ok());
    EXPECT_EQ(authz.error().code(), base::ErrorCode::Cancelled);
    EXPECT_EQ(transport.requests.size(), 2U);
    EXPECT_EQ(sleeper.durations.size(), 2U);
}

TEST_F(AcmeClientTest, DirectoryWithoutRenewalInfo) {
    AcmeClient client = makeClient();
    transport.add(200, directoryJson(false));
    auto dir = client.directory();
    ASSERT_TRUE(dir.ok()) << dir.error().detail();
    EXPECT_TRUE(dir->renewalInfo.empty());
    EXPECT_EQ(dir->termsOfService, "https://ca.test/terms");
    EXPECT_EQ(dir->website, "https://ca.test/");
    EXPECT_FALSE(dir->externalAccountRequired);
    auto info = client.renewalInfo("a.b");
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().code(), base::ErrorCode::Unsupported);
    EXPECT_EQ(transport.requests.size(), 1U); // the directory is fetched once
}

TEST_F(AcmeClientTest, RenewalInfoWithRetryAfter) {
    AcmeClient client = readyClient();
    transport.add(200,
                  json{{"suggestedWindow", {{"start", "2026-04-01T00:00:00Z"}, {"end", "2026-04-03T12:00:00.5Z"}}},
                       {"explanationURL", "https://ca.test/why"}}
                      .dump(),
                  {{"Retry-After", "21600"}});
    auto info = client.renewalInfo("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    ASSERT_TRUE(info.ok()) << info.error().detail();
    EXPECT_EQ(transport.requests[0].method, HttpMethod::Get);
    EXPECT_EQ(transport.requests[0].url, "https://ca.test/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    EXPECT_EQ(info->windowStart, base::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 4 / 1)));
    EXPECT_EQ(info->windowEnd - info->windowStart, 60h + 500ms);
    EXPECT_EQ(info->explanationUrl, "https://ca.test/why");
    EXPECT_EQ(info->retryAfter, std::optional<std::chrono::seconds>(21600s));
}

TEST_F(AcmeClientTest, MalformedDirectoryIsMalformedInput) {
    AcmeClient client = makeClient();
    transport.add(200, "<html>not json</html>");
    auto dir = client.directory();
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().code(), base::ErrorCode::MalformedInput);
    EXPECT_NE(dir.error().detail().find("directory: not JSON"), std::string::npos) << dir.error().detail();
    EXPECT_NE(dir.error().detail().find(kDirectoryUrl), std::string::npos);
}

TEST_F(AcmeClientTest, DirectoryMissingNewOrderIsProtocolError) {
    AcmeClient client = makeClient();
    json d = json::parse(directoryJson(false));
    d.erase("newOrder");
    transport.add(200, d.dump());
    auto dir = client.directory();
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().code(), base::ErrorCode::ProtocolError);
    EXPECT_NE(dir.error().detail().find("\"newOrder\" is missing"), std::string::npos) << dir.error().detail();
}

TEST_F(AcmeClientTest, OrderWithoutFinalizeOrWithUnknownStatusIsProtocolError) {
    AcmeClient client = readyClient();
    json o = json::parse(orderJson("pending"));
    o.erase("finalize");
    transport.add(200, o.dump());
    auto order = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::ProtocolError);
    EXPECT_NE(order.error().detail().find("order: member \"finalize\" is missing"), std::string::npos)
        << order.error().detail();

    transport.add(200, R"({"status":"weird","identifiers":[],"authorizations":[],"finalize":"x"})");
    auto weird = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_FALSE(weird.ok());
    EXPECT_EQ(weird.error().code(), base::ErrorCode::ProtocolError);
    EXPECT_NE(weird.error().detail().find("weird"), std::string::npos);
}

TEST_F(AcmeClientTest, NewOrderWithoutLocationIsProtocolError) {
    AcmeClient client = readyClient();
    transport.add(201, orderJson("pending"));
    auto order = client.newOrder({{{"dns", "example.org"}}, {}});
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::ProtocolError);
    EXPECT_NE(order.error().detail().find("Location"), std::string::npos);
}

TEST_F(AcmeClientTest, OperationsNeedAnAccount) {
    AcmeClient client = makeClient();
    auto order = client.fetchOrder("https://ca.test/acme/order/1");
    ASSERT_FALSE(order.ok());
    EXPECT_EQ(order.error().code(), base::ErrorCode::InvalidArgument);
    EXPECT_TRUE(transport.requests.empty());
}

TEST_F(AcmeClientTest, DownloadCertificateFollowsLinks) {
    AcmeClient client = readyClient();
    transport.add(200, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                  {{"Content-Type", "application/pem-certificate-chain"},
                   {"Link", "<https://ca.test/acme/issuer/1>;rel=\"up\""},
                   {"Link", "<https://ca.test/acme/cert/1/1>;rel=\"alternate\", </acme/cert/1/2>; rel=alternate"}});
    auto chain = client.downloadCertificate("https://ca.test/acme/cert/1");
    ASSERT_TRUE(chain.ok()) << chain.error().detail();
    EXPECT_EQ(chain->up, std::vector<std::string>{"https://ca.test/acme/issuer/1"});
    EXPECT_EQ(chain->alternates,
              (std::vector<std::string>{"https://ca.test/acme/cert/1/1", "https://ca.test/acme/cert/1/2"}));
    bool acceptsPem = false;
    for (const auto& [name, value] : transport.requests[0].headers) {
        acceptsPem = acceptsPem || (name == "Accept" && value == "application/pem-certificate-chain");
    }
    EXPECT_TRUE(acceptsPem);
    EXPECT_EQ(payloadOf(transport.requests[0], key), json{}); // POST-as-GET: empty payload
}

TEST_F(AcmeClientTest, DownloadThatIsNotPemIsProtocolError) {
    AcmeClient client = readyClient();
    transport.add(200, "{}");
    auto chain = client.downloadCertificate("https://ca.test/acme/cert/1");
    ASSERT_FALSE(chain.ok());
    EXPECT_EQ(chain.error().code(), base::ErrorCode::ProtocolError);
}

TEST_F(AcmeClientTest, KeyRolloverNestsAJwsSignedByTheNewKey) {
    AcmeClient client = readyClient();
    const crypto::PrivateKey newKey = crypto::generateKey(crypto::KeySpec::P384).value();
    transport.add(200, "{}");
    transport.add(200, orderJson("ready"));
    ASSERT_TRUE(client.changeKey(newKey).ok());
    ASSERT_EQ(transport.requests.size(), 1U);
    EXPECT_EQ(protectedHeaderOf(transport.requests[0])["kid"], "https://ca.test/acme/acct/7");
    const json outer = payloadOf(transport.requests[0], key); // signed by the old key
    auto inner = crypto::verifyJws(outer.dump(), crypto::PublicKey::of(newKey));
    ASSERT_TRUE(inner.ok()) << inner.error().detail;
    const json innerHeader = json::parse(inner->protectedHeaderJson);
    EXPECT_EQ(innerHeader["url"], "https://ca.test/acme/key-change");
    EXPECT_FALSE(innerHeader.contains("nonce"));
    EXPECT_EQ(innerHeader["jwk"].dump(), crypto::jwkJson(crypto::PublicKey::of(newKey)).value());
    const json innerPayload = json::parse(base::asString(inner->payload));
    EXPECT_EQ(innerPayload["account"], "https://ca.test/acme/acct/7");
    EXPECT_EQ(innerPayload["oldKey"].dump(), crypto::jwkJson(crypto::PublicKey::of(key)).value());
    // From now on the new key signs.
    ASSERT_TRUE(client.fetchOrder("https://ca.test/acme/order/1").ok());
    EXPECT_TRUE(crypto::verifyJws(transport.requests[1].body, crypto::PublicKey::of(newKey)).ok());
}

TEST_F(AcmeClientTest, RevokeByCertificateKeyUsesJwkAndReason) {
    AcmeClient client = readyClient();
    const crypto::PrivateKey certKey = crypto::generateKey(crypto::KeySpec::P256).value();
    const base::Bytes der = {0x30, 0x03, 0x02, 0x01, 0x01};
    transport.add(200, "");
    ASSERT_TRUE(client.revokeCertificateWithKey(der, certKey, RevocationReason::KeyCompromise).ok());
    const json header = protectedHeaderOf(transport.requests[0]);
    EXPECT_TRUE(header.contains("jwk"));
    EXPECT_FALSE(header.contains("kid"));
    const json payload = payloadOf(transport.requests[0], certKey);
    EXPECT_EQ(payload["certificate"], crypto::base64UrlEncode(der));
    EXPECT_EQ(payload["reason"], 1);
}

TEST_F(AcmeClientTest, TransportFailureIsPassedOn) {
    AcmeClient client = makeClient();
    auto dir = client.directory(); // empty script: the fake answers Unreachable
    ASSERT_FALSE(dir.ok());
    EXPECT_EQ(dir.error().code(), base::ErrorCode::Unreachable);
    EXPECT_FALSE(dir.error().problem.has_value());
}

} // namespace
} // namespace sealpost::acme
