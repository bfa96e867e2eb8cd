#include "directory/DirectoryJson.h"

#include "DirectoryTestSupport.h"
#include "directory/Address.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::directory;
using namespace sealpost::directory::test;
using Json = nlohmann::json;

namespace {

const std::vector<std::string> kAsked{"alice@example.org", "bob@example.org"};

class DirectoryJsonTest : public ::testing::Test {
protected:
    [[nodiscard]] Json validLookup() const {
        return {{"results",
                 {{{"address", "alice@example.org"},
                   {"address_sha256", addressHash("alice@example.org")},
                   {"certificates", {certEntry(m_alice, {m_intermediate})}}},
                  {{"address", "bob@example.org"},
                   {"address_sha256", addressHash("bob@example.org")},
                   {"certificates", Json::array()}}}}};
    }

    static void expectProtocolError(const Json& body) {
        auto parsed = parseLookupResponse(body.dump(), kAsked);
        ASSERT_FALSE(parsed.ok()) << body.dump().substr(0, 200);
        EXPECT_EQ(parsed.error().code, base::ErrorCode::ProtocolError);
    }

    crypto::Certificate m_alice = fixtureCert("alice.cert.pem");
    crypto::Certificate m_intermediate = fixtureCert("intermediate-ca.cert.pem");
};

} // namespace

TEST_F(DirectoryJsonTest, ReadsAValidBatchAnswer) {
    auto parsed = parseLookupResponse(validLookup().dump(), kAsked);
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    ASSERT_EQ(parsed->size(), 2U);
    const AddressCertificates& a = parsed->at(0);
    EXPECT_EQ(a.address, "alice@example.org");
    ASSERT_EQ(a.certificates.size(), 1U);
    EXPECT_EQ(a.certificates[0].certificate, m_alice);
    ASSERT_EQ(a.certificates[0].chain.size(), 1U);
    EXPECT_EQ(a.certificates[0].chain[0], m_intermediate);
    EXPECT_EQ(a.certificates[0].provenance, "enrolled");
    EXPECT_EQ(a.certificates[0].notAfter, *parseRfc3339("2035-01-01T00:00:00Z"));
    ASSERT_TRUE(a.certificates[0].firstPublished.has_value());
    EXPECT_TRUE(parsed->at(1).certificates.empty());
}

TEST_F(DirectoryJsonTest, AddressIsOptionalAndExtraFieldsAreIgnored) {
    Json body = validLookup();
    body["results"][0].erase("address");
    body["results"][1]["something_new"] = 42;
    body["results"][0]["certificates"][0].erase("first_published");
    EXPECT_TRUE(parseLookupResponse(body.dump(), kAsked).ok());
}

TEST_F(DirectoryJsonTest, NotJsonOrNotAnObject) {
    for (const char* body : {"", "<html>", "[1,2]", "{\"results\": [", "null"}) {
        auto parsed = parseLookupResponse(body, kAsked);
        ASSERT_FALSE(parsed.ok()) << body;
        EXPECT_EQ(parsed.error().code, base::ErrorCode::ProtocolError);
    }
}

TEST_F(DirectoryJsonTest, WrongTypes) {
    Json body = validLookup();
    body["results"] = "none";
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"] = Json::object();
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"][0]["chain"] = "x";
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"][0]["not_after"] = 2035;
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"][0]["provenance"] = true;
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["address"] = 7;
    expectProtocolError(body);
}

TEST_F(DirectoryJsonTest, MissingFields) {
    for (const char* name : {"fingerprint_sha256", "certificate", "chain", "not_before", "not_after", "provenance"}) {
        Json body = validLookup();
        body["results"][0]["certificates"][0].erase(name);
        expectProtocolError(body);
    }
    Json body = validLookup();
    body["results"][1].erase("certificates");
    expectProtocolError(body);
}

TEST_F(DirectoryJsonTest, ResultsThatDoNotMatchTheRequest) {
    Json body = validLookup();
    body["results"].erase(1);
    expectProtocolError(body); // one result for two addresses
    body = validLookup();
    std::swap(body["results"][0], body["results"][1]);
    expectProtocolError(body); // out of order
    body = validLookup();
    body["results"][0]["address"] = "mallory@example.org";
    expectProtocolError(body);
}

TEST_F(DirectoryJsonTest, CertificateProblems) {
    Json body = validLookup();
    body["results"][0]["certificates"][0]["fingerprint_sha256"] = std::string(64, 'a');
    expectProtocolError(body); // does not match the certificate
    body = validLookup();
    body["results"][0]["certificates"][0]["fingerprint_sha256"] = "ABC";
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"][0]["certificate"] =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    expectProtocolError(body);
    body = validLookup();
    body["results"][0]["certificates"][0]["certificate"] = m_alice.pem() + m_intermediate.pem();
    expectProtocolError(body); // two certificates where one belongs
    body = validLookup();
    body["results"][0]["certificates"][0]["chain"] = Json::array();
    for (int i = 0; i < 9; ++i) {
        body["results"][0]["certificates"][0]["chain"].push_back(m_intermediate.pem());
    }
    expectProtocolError(body); // more than 8
    body = validLookup();
    body["results"][0]["certificates"][0]["not_before"] = "yesterday";
    expectProtocolError(body);
}

TEST_F(DirectoryJsonTest, DeepNestingIsRefusedBeforeParsing) {
    const std::string deep = "{\"results\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto parsed = parseLookupResponse(deep, kAsked);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, base::ErrorCode::ProtocolError);
}

TEST_F(DirectoryJsonTest, SubmissionResults) {
    const std::string fp(64, 'b');
    auto accepted = parseSubmissionResponse(
        Json{{"results",
              {{{"status", "accepted"}, {"fingerprint_sha256", fp}, {"addresses_sha256", {addressHash("a@b.c")}}}}}}
            .dump());
    ASSERT_TRUE(accepted.ok()) << accepted.error().detail;
    EXPECT_EQ(accepted->status, SubmissionStatus::Accepted);
    EXPECT_EQ(accepted->fingerprint, fp);
    ASSERT_EQ(accepted->addressHashes.size(), 1U);

    auto rejected = parseSubmissionResponse(
        Json{{"results", {{{"status", "rejected"}, {"reason", "expired"}, {"detail", "expired at ..."}}}}}.dump());
    ASSERT_TRUE(rejected.ok());
    EXPECT_EQ(rejected->status, SubmissionStatus::Rejected);
    EXPECT_EQ(rejected->reason, "expired");
    EXPECT_EQ(rejected->detail, "expired at ...");

    auto errorForm =
        parseSubmissionResponse(Json{{"error", "rejected"}, {"reason", "untrusted"}, {"detail", "x"}}.dump());
    ASSERT_TRUE(errorForm.ok());
    EXPECT_EQ(errorForm->reason, "untrusted");

    for (const Json& bad : {Json{{"results", {{{"status", "maybe"}}}}}, Json{{"results", Json::array()}},
                            Json{{"results", {{{"status", "accepted"}, {"fingerprint_sha256", fp}}}}},
                            Json{{"results", {{{"status", "rejected"}}}}}, Json{{"error", "internal"}}}) {
        auto parsed = parseSubmissionResponse(bad.dump());
        ASSERT_FALSE(parsed.ok()) << bad.dump();
        EXPECT_EQ(parsed.error().code, base::ErrorCode::ProtocolError);
    }
}

TEST_F(DirectoryJsonTest, CanEncrypt) {
    auto yes = parseCanEncryptResponse(R"({"can_encrypt": true, "valid_until": "2027-02-01T00:00:00Z"})");
    ASSERT_TRUE(yes.ok());
    EXPECT_TRUE(yes->canEncrypt);
    EXPECT_EQ(yes->validUntil, parseRfc3339("2027-02-01T00:00:00Z"));
    auto no = parseCanEncryptResponse(R"({"can_encrypt": false})");
    ASSERT_TRUE(no.ok());
    EXPECT_FALSE(no->canEncrypt);
    EXPECT_FALSE(parseCanEncryptResponse(R"({"can_encrypt": "yes"})").ok());
    EXPECT_FALSE(parseCanEncryptResponse(R"({"can_encrypt": true})").ok());
}

TEST_F(DirectoryJsonTest, Rfc3339) {
    EXPECT_EQ(parseRfc3339("2026-06-01T00:00:00Z"), kTestNow);
    EXPECT_EQ(parseRfc3339("2026-06-01T02:00:00+02:00"), kTestNow);
    EXPECT_EQ(parseRfc3339("2026-06-01T00:00:00.250Z"), kTestNow);
    for (const char* bad : {"2026-06-01", "2026-06-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                            "2026-06-01T24:00:00Z", "2026-06-01T00:00:00Zjunk", "2026-06-01 00:00:00Z"}) {
        EXPECT_FALSE(parseRfc3339(bad).has_value()) << bad;
    }
}

TEST_F(DirectoryJsonTest, ErrorBodies) {
    auto e = parseErrorBody(R"({"error": "rate-limited", "detail": "slow down", "retry_after": 30})");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->error, "rate-limited");
    EXPECT_EQ(e->retryAfter, std::chrono::seconds(30));
    EXPECT_FALSE(parseErrorBody("oops").has_value());
    EXPECT_FALSE(parseErrorBody(R"({"detail": "no code"})").has_value());
}

TEST_F(DirectoryJsonTest, SingleAddressAnswerOfGetCerts) {
    Json body = validLookup()["results"][0];
    body.erase("address"); // GET /v1/certs/{address} names only the hash
    auto parsed = parseCertsResponse(body.dump(), "alice@example.org");
    ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
    EXPECT_EQ(parsed->certificates.size(), 1U);
    auto other = parseCertsResponse(body.dump(), "bob@example.org");
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error().code, base::ErrorCode::ProtocolError);
}
