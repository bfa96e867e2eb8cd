#include "keydir/Api.h"

#include "KeydirTestCerts.h"
#include "MemoryCertStore.h"
#include "keydir/Address.h"

#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>

namespace sealpost::keydir {
namespace {

using nlohmann::json;
using test::daysFromNow;
using test::LeafSpec;
using test::pemOf;
using test::testNow;

class ManualClock final : public base::Clock {
public:
    [[nodiscard]] base::TimePoint now() const override { return m_now; }
    void advance(std::chrono::milliseconds by) { m_now += by; }

private:
    base::TimePoint m_now = testNow();
};

class CapturingLog final : public LogSink {
public:
    void write(std::string_view line) override {
        const std::lock_guard lock(m_mutex);
        lines.emplace_back(line);
    }
    std::vector<std::string> lines;

private:
    std::mutex m_mutex;
};

const std::string aliceHash = addressHash("alice@example.org");

class ApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_pki = new test::TestPki(); }
    static void TearDownTestSuite() {
        delete s_pki;
        s_pki = nullptr;
    }

    void SetUp() override { makeApi(defaultConfig()); }

    static ApiConfig defaultConfig() {
        ApiConfig config;
        config.anchors = {s_pki->root.cert};
        config.publisherToken = "s3cret-publisher-token";
        config.clientLimit = {1000, 1000};
        config.addressLimit = {1000, 1000};
        return config;
    }
    void makeApi(ApiConfig config) {
        api.reset();
        api = std::make_unique<Api>(store, std::move(config), clock, &log);
    }

    Response get(std::string_view target, std::optional<std::string_view> accept = std::nullopt,
                 std::string_view method = "GET") {
        Request r;
        r.method = method;
        r.target = target;
        r.peerAddress = "192.0.2.1";
        r.accept = accept;
        return api->handle(r);
    }
    Response post(std::string_view target, std::optional<std::string_view> type, std::string_view body,
                  std::optional<std::string_view> authorization = std::nullopt) {
        Request r;
        r.method = "POST";
        r.target = target;
        r.peerAddress = "192.0.2.1";
        r.contentType = type;
        r.hasContentLength = true;
        r.body = body;
        r.authorization = authorization;
        return api->handle(r);
    }
    Response submitPem(const std::string& pem, std::string_view target = "/v1/certs") {
        return post(target, "application/pem-certificate-chain", pem);
    }
    static json body(const Response& r) { return json::parse(r.answer->body); }
    static std::string errorCode(const Response& r) { return body(r).value("error", ""); }

    static test::TestPki* s_pki;
    test::MemoryCertStore store;
    ManualClock clock;
    CapturingLog log;
    std::unique_ptr<Api> api;
};
test::TestPki* ApiTest::s_pki = nullptr;

TEST_F(ApiTest, SubmitThenLookUpByAddressAndByHash) {
    const crypto::Certificate leaf = s_pki->leaf();
    const Response put = submitPem(pemOf({leaf, s_pki->intermediate.cert}));
    ASSERT_EQ(put.status, 201) << put.answer->body;
    const json result = body(put)["results"][0];
    EXPECT_EQ(result["status"], "accepted");
    EXPECT_EQ(result["fingerprint_sha256"], leaf.sha256Fingerprint());
    EXPECT_EQ(result["addresses_sha256"], json::array({aliceHash}));
    EXPECT_EQ(put.answer->cacheControl, "no-store");

    for (const std::string& target : std::vector<std::string>{
             "/v1/certs/alice@example.org", "/v1/certs/Alice%40Example.org", "/v1/certs/sha256/" + aliceHash}) {
        const Response r = get(target);
        ASSERT_EQ(r.status, 200) << target << r.answer->body;
        EXPECT_EQ(r.answer->contentType, "application/json");
        const json b = body(r);
        EXPECT_EQ(b["address_sha256"], aliceHash);
        ASSERT_EQ(b["certificates"].size(), 1u);
        const json& c = b["certificates"][0];
        EXPECT_EQ(c["fingerprint_sha256"], leaf.sha256Fingerprint());
        EXPECT_EQ(c["certificate"], leaf.pem());
        EXPECT_EQ(c["chain"], json::array({s_pki->intermediate.cert.pem()}));
        EXPECT_EQ(c["not_before"], "2026-05-02T00:00:00Z");
        EXPECT_EQ(c["not_after"], "2026-07-31T00:00:00Z");
        EXPECT_EQ(c["provenance"], "submitted");
        EXPECT_EQ(c["first_published"], "2026-06-01T00:00:00Z");
        EXPECT_EQ(r.answer->cacheControl, "public, max-age=3600");
        EXPECT_EQ(r.answer->etag.size(), 34u);
    }
}

TEST_F(ApiTest, ResubmissionIsUnchangedAndKeepsItsTimeStamp) {
    const std::string pem = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    ASSERT_EQ(submitPem(pem).status, 201);
    clock.advance(std::chrono::hours(1));
    const Response again = submitPem(pem + "\n");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(body(again)["results"][0]["status"], "unchanged");
    EXPECT_EQ(body(get("/v1/certs/alice@example.org"))["certificates"][0]["first_published"], "2026-06-01T00:00:00Z");
}

TEST_F(ApiTest, NotFoundCachesBrieflyAndSaysNothingMore) {
    const Response r = get("/v1/certs/nobody@example.org");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(errorCode(r), "not-found");
    EXPECT_EQ(r.answer->cacheControl, "public, max-age=300");
    EXPECT_FALSE(r.answer->etag.empty());
}

TEST_F(ApiTest, MaxAgeNeverOutlivesTheFirstExpiry) {
    LeafSpec shortLived;
    shortLived.notAfter = testNow() + std::chrono::minutes(10);
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(shortLived), s_pki->intermediate.cert})).status, 201);
    EXPECT_EQ(get("/v1/certs/alice@example.org").answer->cacheControl, "public, max-age=600");
    const Response can = get("/v1/can-encrypt/alice@example.org");
    EXPECT_EQ(can.answer->cacheControl, "public, max-age=600");
}

TEST_F(ApiTest, PreferenceOrderAndExpiredOnesAreNeverReturned) {
    LeafSpec older;
    older.notBefore = daysFromNow(-20);
    LeafSpec newer;
    newer.notBefore = daysFromNow(-2);
    LeafSpec expiring;
    expiring.notAfter = testNow() + std::chrono::seconds(5);
    const crypto::Certificate a = s_pki->leaf(older);
    const crypto::Certificate b = s_pki->leaf(newer);
    const crypto::Certificate c = s_pki->leaf(expiring);
    for (const auto& cert : {a, b, c}) {
        ASSERT_EQ(submitPem(pemOf({cert, s_pki->intermediate.cert})).status, 201);
    }
    clock.advance(std::chrono::seconds(10)); // c has expired, and the cache entries too
    const json certs = body(get("/v1/certs/alice@example.org"))["certificates"];
    ASSERT_EQ(certs.size(), 2u);
    EXPECT_EQ(certs[0]["fingerprint_sha256"], b.sha256Fingerprint());
    EXPECT_EQ(certs[1]["fingerprint_sha256"], a.sha256Fingerprint());
}

TEST_F(ApiTest, CertsOnlyRepresentation) {
    const crypto::Certificate leaf = s_pki->leaf();
    ASSERT_EQ(submitPem(pemOf({leaf, s_pki->intermediate.cert})).status, 201);
    for (const char* accept : {"application/pkcs7-mime", "application/pkcs7-mime, application/json;q=0.5",
                               "application/pkcs7-mime; smime-type=certs-only, */*;q=0.1"}) {
        const Response r = get("/v1/certs/alice@example.org", accept);
        ASSERT_EQ(r.status, 200) << accept;
        EXPECT_EQ(r.answer->contentType, "application/pkcs7-mime; smime-type=certs-only; name=certs.p7c");
        auto certs = crypto::parseCertificateBundle(base::asBytes(r.answer->body));
        ASSERT_TRUE(certs) << certs.error().detail;
        ASSERT_EQ(certs->size(), 2u);
        EXPECT_TRUE(std::find(certs->begin(), certs->end(), leaf) != certs->end());
        EXPECT_TRUE(std::find(certs->begin(), certs->end(), s_pki->intermediate.cert) != certs->end());
    }
    // JSON wins ties and wildcards; both ETags differ.
    const Response json1 = get("/v1/certs/alice@example.org", "*/*");
    EXPECT_EQ(json1.answer->contentType, "application/json");
    EXPECT_NE(json1.answer->etag, get("/v1/certs/alice@example.org", "application/pkcs7-mime").answer->etag);
    EXPECT_EQ(get("/v1/certs/alice@example.org", "application/json, application/pkcs7-mime").answer->contentType,
              "application/json");
}

TEST_F(ApiTest, NotAcceptable) {
    for (const char* accept : {"text/html", "application/json;q=0, text/plain", "image/*"}) {
        const Response r = get("/v1/certs/alice@example.org", accept);
        EXPECT_EQ(r.status, 406) << accept;
        EXPECT_EQ(errorCode(r), "not-acceptable");
    }
    EXPECT_EQ(get("/v1/can-encrypt/alice@example.org", "application/pkcs7-mime").status, 406);
}

TEST_F(ApiTest, ConditionalRequestsAndHead) {
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    const Response full = get("/v1/certs/alice@example.org");
    Request r;
    r.method = "GET";
    r.target = "/v1/certs/alice@example.org";
    r.ifNoneMatch = full.answer->etag;
    Response notModified = api->handle(r);
    EXPECT_EQ(notModified.status, 304);
    EXPECT_FALSE(notModified.sendBody);
    EXPECT_EQ(notModified.answer->etag, full.answer->etag);
    EXPECT_EQ(notModified.answer->cacheControl, "public, max-age=3600");
    const std::string list = "\"other\", W/" + full.answer->etag;
    r.ifNoneMatch = list;
    EXPECT_EQ(api->handle(r).status, 304);
    r.ifNoneMatch = "\"other\"";
    EXPECT_EQ(api->handle(r).status, 200);

    const Response head = get("/v1/certs/alice@example.org", std::nullopt, "HEAD");
    EXPECT_EQ(head.status, 200);
    EXPECT_FALSE(head.sendBody);
    EXPECT_EQ(head.answer->body.size(), full.answer->body.size()); // Content-Length as for GET
    EXPECT_EQ(get("/v1/certs/nobody@example.org", std::nullopt, "HEAD").status, 404);
}

TEST_F(ApiTest, CanEncrypt) {
    Response no = get("/v1/can-encrypt/alice@example.org");
    EXPECT_EQ(no.status, 200);
    EXPECT_EQ(body(no), json({{"can_encrypt", false}}));
    EXPECT_EQ(no.answer->cacheControl, "public, max-age=300");
    EXPECT_FALSE(no.answer->etag.empty());
    LeafSpec longer;
    longer.notAfter = daysFromNow(90);
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(longer), s_pki->intermediate.cert})).status, 201);
    const Response yes = get("/v1/can-encrypt/sha256/" + aliceHash);
    EXPECT_EQ(body(yes), json({{"can_encrypt", true}, {"valid_until", "2026-08-30T00:00:00Z"}}));
    EXPECT_EQ(yes.answer->cacheControl, "public, max-age=3600");
    EXPECT_EQ(get("/v1/can-encrypt/not-an-address").status, 400);
}

TEST_F(ApiTest, EnumerationFindsNothing) {
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    for (const std::string& target : std::vector<std::string>{
             std::string("/v1/certs/"), std::string("/v1/certs/sha256/"), "/v1/certs/sha256/" + aliceHash.substr(0, 8),
             "/v1/certs/sha256/" + aliceHash.substr(0, 63), "/v1/certs/sha256/" + aliceHash + "0",
             std::string("/v1/certs/*"), std::string("/v1/certs/%25"), std::string("/v1/certs/alice*"),
             std::string("/v1/certs/%40example.org"), std::string("/v1/certs/sha256"), std::string("/v1/certs/a%zz@x"),
             std::string("/v1/can-encrypt/"), std::string("/v1/can-encrypt/sha256/7a64"), std::string("/v1/addresses"),
             std::string("/v1/"), std::string("/"), std::string("/v1/certs.json"),
             std::string("/v2/certs/alice@example.org")}) {
        const Response r = get(target);
        EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " answered " << r.status;
        EXPECT_EQ(r.answer->body.find("alice"), std::string::npos) << target;
        EXPECT_EQ(r.answer->body.find("CERTIFICATE"), std::string::npos) << target;
    }
    EXPECT_EQ(errorCode(get("/v1/certs/sha256/7a64")), "bad-address");
    EXPECT_EQ(errorCode(get("/nothing-here")), "not-found");
}

TEST_F(ApiTest, MethodNotAllowed) {
    struct Case {
        const char* method;
        const char* target;
        const char* allow;
    };
    for (const Case& c : {Case{"PUT", "/v1/certs/alice@example.org", "GET, HEAD"}, Case{"GET", "/v1/certs", "POST"},
                          Case{"DELETE", "/v1/certs", "POST"}, Case{"GET", "/v1/lookup", "POST"},
                          Case{"POST", "/v1/health", "GET, HEAD"}, Case{"POST", "/metrics", "GET, HEAD"},
                          Case{"POST", "/v1/can-encrypt/alice@example.org", "GET, HEAD"}}) {
        const Response r = get(c.target, std::nullopt, c.method);
        EXPECT_EQ(r.status, 405) << c.method << ' ' << c.target;
        EXPECT_EQ(r.answer->allow, c.allow);
        EXPECT_EQ(errorCode(r), "method-not-allowed");
    }
}

TEST_F(ApiTest, PostNeedsLengthWithinTheLimit) {
    Request r;
    r.method = "POST";
    r.target = "/v1/certs";
    r.contentType = "application/pem-certificate-chain";
    Response noLength = api->handle(r);
    EXPECT_EQ(noLength.status, 411);
    EXPECT_TRUE(noLength.closeConnection);
    r.hasContentLength = true;
    r.bodyTooLarge = true;
    EXPECT_EQ(api->handle(r).status, 413);
    ApiConfig small = defaultConfig();
    small.maxBody = 10;
    makeApi(small);
    const Response tooLarge = post("/v1/lookup", "application/json", R"({"addresses": ["alice@example.org"]})");
    EXPECT_EQ(tooLarge.status, 413);
    EXPECT_EQ(errorCode(tooLarge), "too-large");
}

TEST_F(ApiTest, UnsupportedMediaType) {
    const std::string pem = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    for (const std::optional<std::string_view> type :
         {std::optional<std::string_view>{}, std::optional<std::string_view>{"image/png"},
          std::optional<std::string_view>{"application/pkcs7-mime; smime-type=enveloped-data"}}) {
        const Response r = post("/v1/certs", type, pem);
        EXPECT_EQ(r.status, 415) << type.value_or("(none)");
        EXPECT_EQ(errorCode(r), "unsupported-media-type");
    }
    EXPECT_EQ(post("/v1/lookup", "text/plain", R"({"addresses": []})").status, 415);
    // Every documented type is taken, parameters and case notwithstanding.
    for (const char* type :
         {"application/x-pem-file", "text/plain; charset=us-ascii", "Application/PEM-Certificate-Chain"}) {
        EXPECT_NE(post("/v1/certs", type, pem).status, 415) << type;
    }
}

TEST_F(ApiTest, SubmissionFormats) {
    const crypto::Certificate leaf = s_pki->leaf();
    ApiConfig config = defaultConfig();
    config.anchors.push_back(s_pki->intermediate.cert); // DER alone needs its issuer as an anchor
    makeApi(config);
    const base::Bytes der = leaf.der();
    EXPECT_EQ(post("/v1/certs", "application/pkix-cert", base::asString(der)).status, 201);
    auto bundle =
        crypto::makeCertificateBundle(std::vector<crypto::Certificate>{s_pki->intermediate.cert, s_pki->leaf()});
    ASSERT_TRUE(bundle);
    EXPECT_EQ(post("/v1/certs", "application/pkcs7-mime; smime-type=certs-only", base::asString(*bundle)).status, 201);
}

TEST_F(ApiTest, RejectionIsUnprocessableWithReasonAndDetail) {
    LeafSpec expired;
    expired.notBefore = daysFromNow(-60);
    expired.notAfter = daysFromNow(-1);
    const Response r = submitPem(pemOf({s_pki->leaf(expired), s_pki->intermediate.cert}));
    EXPECT_EQ(r.status, 422);
    const json b = body(r);
    EXPECT_EQ(b["error"], "rejected");
    EXPECT_EQ(b["reason"], "expired");
    EXPECT_EQ(b["detail"], "certificate expired at 2026-05-31T00:00:00Z");
    EXPECT_EQ(b["results"][0], json({{"status", "rejected"}, {"reason", "expired"}, {"detail", b["detail"]}}));
    EXPECT_EQ(errorCode(submitPem("garbage")), "rejected");
    EXPECT_EQ(store.puts(), 0);
}

TEST_F(ApiTest, Provenance) {
    const std::string pem = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    EXPECT_EQ(errorCode(submitPem(pem, "/v1/certs?provenance=bogus")), "bad-request");
    EXPECT_EQ(errorCode(submitPem(pem, "/v1/certs?other=1")), "bad-request");
    const Response forbidden = submitPem(pem, "/v1/certs?provenance=enrolled");
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_EQ(errorCode(forbidden), "forbidden");
    EXPECT_EQ(post("/v1/certs?provenance=enrolled", "application/pem-certificate-chain", pem, "Bearer wrong").status,
              403);
    EXPECT_EQ(post("/v1/certs?provenance=enrolled", "application/pem-certificate-chain", pem, "s3cret-publisher-token")
                  .status,
              403);
    EXPECT_EQ(store.puts(), 0);
    EXPECT_EQ(
        post("/v1/certs?provenance=enrolled", "application/pem-certificate-chain", pem, "Bearer s3cret-publisher-token")
            .status,
        201);
    EXPECT_EQ(body(get("/v1/certs/alice@example.org"))["certificates"][0]["provenance"], "enrolled");
    const std::string other = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    EXPECT_EQ(submitPem(other, "/v1/certs?provenance=harvested").status, 201);

    ApiConfig noToken = defaultConfig();
    noToken.publisherToken.reset();
    makeApi(noToken);
    EXPECT_EQ(post("/v1/certs?provenance=enrolled", "application/pem-certificate-chain", pem, "Bearer ").status, 403);
}

TEST_F(ApiTest, BatchSubmission) {
    LeafSpec bob;
    bob.emails = {"bob@example.org"};
    const crypto::Certificate alice = s_pki->leaf();
    const std::string alicePem = pemOf({alice, s_pki->intermediate.cert});
    ASSERT_EQ(submitPem(alicePem).status, 201);
    const json request = {{"submissions",
                           {{{"chain", pemOf({s_pki->leaf(bob), s_pki->intermediate.cert})},
                             {"provenance", "harvested"},
                             {"address", "Bob@example.org"}},
                            {{"chain", alicePem}},
                            {{"chain", alicePem}, {"address", "carol@example.org"}},
                            {{"chain", "garbage"}}}}};
    const Response r = post("/v1/certs", "application/json", request.dump());
    ASSERT_EQ(r.status, 200) << r.answer->body;
    const json results = body(r)["results"];
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0]["status"], "accepted");
    EXPECT_EQ(results[0]["addresses_sha256"], json::array({addressHash("bob@example.org")}));
    EXPECT_EQ(results[1]["status"], "unchanged");
    EXPECT_EQ(results[1]["fingerprint_sha256"], alice.sha256Fingerprint());
    EXPECT_EQ(results[2]["reason"], "wrong-address");
    EXPECT_EQ(results[3]["reason"], "malformed");
    EXPECT_EQ(body(get("/v1/certs/bob@example.org"))["certificates"][0]["provenance"], "harvested");

    EXPECT_EQ(errorCode(post("/v1/certs", "application/json", "{")), "bad-request");
    EXPECT_EQ(errorCode(post("/v1/certs", "application/json", R"({"submissions": [{"chain": 1}]})")), "bad-request");
    EXPECT_EQ(
        errorCode(post("/v1/certs", "application/json", R"({"submissions": [{"chain": "x", "provenance": "x"}]})")),
        "bad-request");
    EXPECT_EQ(errorCode(post("/v1/certs", "application/json", R"({"submissions": [{"chain": "x", "address": "x"}]})")),
              "bad-address");
    EXPECT_EQ(
        post("/v1/certs", "application/json", R"({"submissions": [{"chain": "x", "provenance": "enrolled"}]})").status,
        403);
    json tooMany = {{"submissions", json::array()}};
    for (int i = 0; i < 101; ++i) {
        tooMany["submissions"].push_back({{"chain", "x"}});
    }
    EXPECT_EQ(post("/v1/certs", "application/json", tooMany.dump()).status, 413);
}

TEST_F(ApiTest, BatchLookup) {
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    const Response byAddress =
        post("/v1/lookup", "application/json", R"({"addresses": ["Alice@example.org", "bob@example.org"]})");
    ASSERT_EQ(byAddress.status, 200) << byAddress.answer->body;
    EXPECT_EQ(byAddress.answer->cacheControl, "no-store");
    const json results = body(byAddress)["results"];
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0]["address"], "alice@example.org");
    EXPECT_EQ(results[0]["address_sha256"], aliceHash);
    EXPECT_EQ(results[0]["certificates"].size(), 1u);
    EXPECT_EQ(results[1]["address"], "bob@example.org");
    EXPECT_EQ(results[1]["certificates"], json::array());

    const Response byHash = post("/v1/lookup", std::nullopt, json{{"address_sha256", {aliceHash}}}.dump());
    ASSERT_EQ(byHash.status, 200);
    EXPECT_FALSE(body(byHash)["results"][0].contains("address"));
    EXPECT_EQ(body(byHash)["results"][0]["certificates"].size(), 1u);

    const Response badEntry = post("/v1/lookup", "application/json", R"({"addresses": ["a@b", "nope", "c@d"]})");
    EXPECT_EQ(badEntry.status, 400);
    EXPECT_EQ(errorCode(badEntry), "bad-address");
    EXPECT_NE(body(badEntry)["detail"].get<std::string>().find("entry 1"), std::string::npos);
    EXPECT_EQ(errorCode(post("/v1/lookup", "application/json", R"({"address_sha256": ["7a64"]})")), "bad-address");
    EXPECT_EQ(errorCode(post("/v1/lookup", "application/json",
                             json{{"addresses", {"a@b"}}, {"address_sha256", {aliceHash}}}.dump())),
              "bad-request");
    EXPECT_EQ(errorCode(post("/v1/lookup", "application/json", "[]")), "bad-request");
    EXPECT_EQ(errorCode(post("/v1/lookup", "application/json", R"({"addresses": "a@b"})")), "bad-request");
    json hundredAndOne = {{"addresses", json::array()}};
    for (int i = 0; i < 101; ++i) {
        hundredAndOne["addresses"].push_back("user" + std::to_string(i) + "@example.org");
    }
    EXPECT_EQ(post("/v1/lookup", "application/json", hundredAndOne.dump()).status, 413);
    hundredAndOne["addresses"].erase(0);
    EXPECT_EQ(post("/v1/lookup", "application/json", hundredAndOne.dump()).status, 200);
}

TEST_F(ApiTest, ClientRateLimitWithRetryAfter) {
    ApiConfig config = defaultConfig();
    config.clientLimit = {1, 3};
    makeApi(config);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(get("/v1/health").status, 200) << i;
    }
    const Response limited = get("/v1/certs/alice@example.org");
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.answer->retryAfter, 1);
    EXPECT_EQ(body(limited)["retry_after"], 1);
    EXPECT_EQ(errorCode(limited), "rate-limited");
    clock.advance(std::chrono::milliseconds(1000));
    EXPECT_EQ(get("/v1/health").status, 200);
    EXPECT_EQ(get("/v1/health").status, 429);
    // Another client has its own bucket.
    Request other;
    other.method = "GET";
    other.target = "/v1/health";
    other.peerAddress = "192.0.2.2";
    EXPECT_EQ(api->handle(other).status, 200);
    // X-Forwarded-For counts only when trusted.
    other.peerAddress = "192.0.2.1";
    other.forwardedFor = "198.51.100.7";
    EXPECT_EQ(api->handle(other).status, 429);
    config.trustForwardedFor = true;
    makeApi(config);
    for (int i = 0; i < 3; ++i) {
        other.forwardedFor = "203.0.113.9, 198.51.100.7";
        EXPECT_EQ(api->handle(other).status, 200);
    }
    EXPECT_EQ(api->handle(other).status, 429);
    other.forwardedFor = "198.51.100.7, 198.51.100.8"; // the last entry is the client
    EXPECT_EQ(api->handle(other).status, 200);
    // A batch counts one per entry: this fresh client has 3 tokens, the request takes one and its
    // four entries need three more, one more than there is.
    const Response batch = post("/v1/lookup", "application/json", R"({"addresses": ["a@b", "c@d", "e@f", "g@h"]})");
    EXPECT_EQ(batch.status, 429);
    EXPECT_EQ(batch.answer->retryAfter, 1);
    clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(post("/v1/lookup", "application/json", R"({"addresses": ["a@b", "c@d"]})").status, 200);
}

TEST_F(ApiTest, AddressRateLimit) {
    ApiConfig config = defaultConfig();
    config.addressLimit = {0.5, 2};
    makeApi(config);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    EXPECT_EQ(get("/v1/certs/sha256/" + aliceHash).status, 404); // the same address by its hash
    const Response limited = get("/v1/can-encrypt/ALICE@example.org");
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.answer->retryAfter, 2);
    EXPECT_EQ(get("/v1/certs/bob@example.org").status, 404);
    EXPECT_EQ(post("/v1/lookup", "application/json", R"({"addresses": ["alice@example.org"]})").status, 429);
    clock.advance(std::chrono::seconds(2));
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    // Submissions count against the addresses they name.
    const std::string pem = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    EXPECT_EQ(submitPem(pem).status, 429);
    EXPECT_EQ(store.puts(), 0);
    const std::string text = api->metrics().render(std::nullopt);
    EXPECT_NE(text.find("keydir_rate_limited_total{limit=\"address\"} 3"), std::string::npos) << text;
}

TEST_F(ApiTest, LookupsAreCachedBrieflyAndOwnPutsInvalidate) {
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    EXPECT_EQ(store.finds(), 1);
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 200);
    EXPECT_EQ(store.finds(), 2);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 200);
    EXPECT_EQ(store.finds(), 2);
    clock.advance(std::chrono::milliseconds(2001));
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 200);
    EXPECT_EQ(store.finds(), 3);
}

TEST_F(ApiTest, DatabaseDown) {
    EXPECT_EQ(body(get("/v1/health")), json({{"status", "ok"}}));
    store.setDown(true);
    const Response health = get("/v1/health");
    EXPECT_EQ(health.status, 503);
    EXPECT_EQ(body(health)["status"], "unavailable");
    for (const Response& r : {get("/v1/certs/alice@example.org"), get("/v1/can-encrypt/alice@example.org"),
                              post("/v1/lookup", "application/json", R"({"addresses": ["a@b"]})"),
                              submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert}))}) {
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(errorCode(r), "unavailable");
        EXPECT_EQ(r.answer->body.find("database is down"), std::string::npos); // no internals
    }
    store.setDown(false);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404); // a 503 is never cached
}

TEST_F(ApiTest, Metrics) {
    ASSERT_EQ(submitPem(pemOf({s_pki->leaf(), s_pki->intermediate.cert})).status, 201);
    EXPECT_EQ(submitPem("garbage").status, 422);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 200);
    EXPECT_EQ(get("/v1/certs/bob@example.org").status, 404);
    EXPECT_EQ(get("/nope").status, 404);
    const Response r = get("/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.answer->contentType, "text/plain; version=0.0.4; charset=utf-8");
    const std::string& text = r.answer->body;
    for (const char* line :
         {"keydir_requests_total{endpoint=\"submit\",status=\"201\"} 1\n",
          "keydir_requests_total{endpoint=\"submit\",status=\"422\"} 1\n",
          "keydir_requests_total{endpoint=\"certs\",status=\"200\"} 1\n",
          "keydir_requests_total{endpoint=\"certs\",status=\"404\"} 1\n",
          "keydir_requests_total{endpoint=\"other\",status=\"404\"} 1\n",
          "keydir_submissions_total{result=\"accepted\"} 1\n",
          "keydir_submissions_total{result=\"rejected\",reason=\"malformed\"} 1\n",
          "keydir_request_duration_seconds_bucket{le=\"+Inf\"} 5\n", "keydir_request_duration_seconds_count 5\n",
          "keydir_rate_limited_total{limit=\"client\"} 0\n", "keydir_certificates 1\n"}) {
        EXPECT_NE(text.find(line), std::string::npos) << line << " missing in\n" << text;
    }
    EXPECT_EQ(text.find("alice"), std::string::npos);
}

TEST_F(ApiTest, AccessLogHidesAddressesUnlessAsked) {
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    EXPECT_EQ(get("/v1/can-encrypt/sha256/" + aliceHash).status, 200);
    EXPECT_EQ(get("/v1/cert/alice@example.org").status, 404); // a mistyped route holding an address
    ASSERT_EQ(log.lines.size(), 3u);
    EXPECT_NE(log.lines[0].find("192.0.2.1 \"GET /v1/certs/-\" 404 "), std::string::npos) << log.lines[0];
    EXPECT_NE(log.lines[1].find("\"GET /v1/can-encrypt/sha256/-\" 200 "), std::string::npos) << log.lines[1];
    EXPECT_NE(log.lines[2].find("\"GET -\" 404 "), std::string::npos) << log.lines[2];
    for (const std::string& line : log.lines) {
        EXPECT_EQ(line.find("alice"), std::string::npos) << line;
        EXPECT_EQ(line.find(aliceHash), std::string::npos) << line;
        EXPECT_TRUE(line.starts_with("2026-06-01T00:00:00Z ")) << line;
    }
    ApiConfig config = defaultConfig();
    config.logAddresses = true;
    makeApi(config);
    EXPECT_EQ(get("/v1/certs/alice@example.org").status, 404);
    EXPECT_NE(log.lines.back().find("\"GET /v1/certs/alice@example.org\" 404"), std::string::npos) << log.lines.back();
}

} // namespace
} // namespace sealpost::keydir
