#include "directory/DirectoryClient.h"

#include "DirectoryTestSupport.h"
#include "directory/Address.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

using namespace sealpost;
using namespace sealpost::directory;
using namespace sealpost::directory::test;
using Json = nlohmann::json;

namespace {

class DirectoryClientTest : public ::testing::Test {
protected:
    DirectoryClient client(std::chrono::seconds total = std::chrono::seconds(10)) {
        ClientOptions options;
        options.baseUrl = m_stub.url() + "/";
        options.connectTimeout = std::chrono::seconds(5);
        options.totalTimeout = total;
        options.maxResponseBytes = std::size_t{64} * 1024;
        return DirectoryClient(options);
    }

    static Json emptyResults(const std::vector<std::string>& addresses) {
        Json results = Json::array();
        for (const auto& a : addresses) {
            results.push_back({{"address", a}, {"address_sha256", addressHash(a)}, {"certificates", Json::array()}});
        }
        return {{"results", results}};
    }

    DirectoryStub m_stub;
    crypto::Certificate m_alice = fixtureCert("alice.cert.pem");
    crypto::Certificate m_intermediate = fixtureCert("intermediate-ca.cert.pem");
};

} // namespace

TEST_F(DirectoryClientTest, BatchLookupPostsNormalisedAddresses) {
    Json body = emptyResults({"alice@example.org", "bob@example.org"});
    body["results"][0]["certificates"].push_back(certEntry(m_alice, {m_intermediate}));
    m_stub.answerJson(200, body);
    const std::vector<std::string> asked{"Alice@Example.org", " bob@example.org"};
    auto found = client().lookup(asked);
    ASSERT_TRUE(found.ok()) << found.error().detail;
    ASSERT_EQ(found->size(), 2U);
    EXPECT_EQ(found->at(0).certificates.size(), 1U);
    EXPECT_TRUE(found->at(1).certificates.empty());
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["method"], "POST");
    EXPECT_EQ(requests[0]["path"], "/v1/lookup");
    EXPECT_EQ(requests[0]["content_type"], "application/json");
    EXPECT_EQ(Json::parse(requests[0]["body"].get<std::string>()),
              (Json{{"addresses", {"alice@example.org", "bob@example.org"}}}));
}

TEST_F(DirectoryClientTest, MoreThan100AddressesGoInChunks) {
    std::vector<std::string> addresses;
    addresses.reserve(150);
    for (int i = 0; i < 150; ++i) {
        addresses.push_back("user" + std::to_string(i) + "@example.org");
    }
    // The stub answers every request the same, so a 100-entry answer to a 50-entry request is
    // refused: answer the first chunk, then check the second was asked with the rest.
    m_stub.answerJson(200, emptyResults({addresses.begin(), addresses.begin() + 100}));
    auto found = client().lookup(addresses);
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().code, base::ErrorCode::ProtocolError);
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(Json::parse(requests[0]["body"].get<std::string>())["addresses"].size(), 100U);
    EXPECT_EQ(Json::parse(requests[1]["body"].get<std::string>())["addresses"].size(), 50U);
}

TEST_F(DirectoryClientTest, MalformedAnswersAreProtocolErrors) {
    const std::vector<std::string> asked{"alice@example.org"};
    m_stub.answer(200, "{\"results\": 5}");
    EXPECT_EQ(client().lookup(asked).error().code, base::ErrorCode::ProtocolError);
    m_stub.answer(200, emptyResults(asked).dump(), "text/html");
    EXPECT_EQ(client().lookup(asked).error().code, base::ErrorCode::ProtocolError);
    m_stub.answer(200, "", "application/json", {{"body_bytes", 200 * 1024}});
    auto big = client().lookup(asked);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, base::ErrorCode::ProtocolError);
    EXPECT_NE(big.error().detail.find("larger"), std::string::npos) << big.error().detail;
}

TEST_F(DirectoryClientTest, StatusCodesMapToErrorKinds) {
    const std::vector<std::string> asked{"alice@example.org"};
    m_stub.answerJson(503, {{"error", "unavailable"}, {"detail", "db down"}});
    auto unavailable = client().lookup(asked);
    EXPECT_EQ(unavailable.error().code, base::ErrorCode::TemporaryFailure);
    EXPECT_NE(unavailable.error().detail.find("db down"), std::string::npos);
    m_stub.answerJson(400, {{"error", "bad-address"}, {"detail", "0"}});
    EXPECT_EQ(client().lookup(asked).error().code, base::ErrorCode::PermanentFailure);
    m_stub.answerJson(404, {{"error", "not-found"}, {"detail", "no such endpoint"}});
    EXPECT_EQ(client().lookup(asked).error().code, base::ErrorCode::PermanentFailure);
    m_stub.answer(429, R"({"error": "rate-limited", "detail": "x", "retry_after": 7})", "application/json",
                  {{"headers", {{"Retry-After", "7"}}}});
    DirectoryClient c = client();
    EXPECT_EQ(c.lookup(asked).error().code, base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(c.lastRetryAfter(), std::chrono::seconds(7));
}

TEST_F(DirectoryClientTest, UnreachableServer) {
    ClientOptions options;
    options.baseUrl = "http://127.0.0.1:1"; // nothing listens on port 1
    const std::vector<std::string> asked{"alice@example.org"};
    auto r = DirectoryClient(options).lookup(asked);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::ErrorCode::Unreachable);
}

TEST_F(DirectoryClientTest, PlainHttpOnlyToLoopback) {
    ClientOptions options;
    options.baseUrl = "http://keys.example.net";
    const std::vector<std::string> asked{"alice@example.org"};
    EXPECT_EQ(DirectoryClient(options).lookup(asked).error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(DirectoryClientTest, TotalTimeoutIsATemporaryFailure) {
    const std::vector<std::string> asked{"alice@example.org"};
    m_stub.answer(200, emptyResults(asked).dump(), "application/json", {{"delay", 3}});
    auto r = client(std::chrono::seconds(1)).lookup(asked);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::ErrorCode::TemporaryFailure) << r.error().detail;
}

TEST_F(DirectoryClientTest, CancellationStopsTheRequest) {
    const std::vector<std::string> asked{"alice@example.org"};
    m_stub.answer(200, emptyResults(asked).dump(), "application/json", {{"delay", 3}});
    ClientOptions options;
    options.baseUrl = m_stub.url();
    options.cancelled = [] { return true; };
    auto r = DirectoryClient(options).lookup(asked);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::ErrorCode::Cancelled);
}

TEST_F(DirectoryClientTest, SubmitSendsThePemChainWithProvenance) {
    m_stub.answerJson(201, {{"results",
                             {{{"status", "accepted"},
                               {"fingerprint_sha256", m_alice.sha256Fingerprint()},
                               {"addresses_sha256", {addressHash("alice@example.org")}}}}}});
    const std::vector<crypto::Certificate> chain{m_alice, m_intermediate};
    auto r = client().submit(chain, "harvested");
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->status, SubmissionStatus::Accepted);
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["path"], "/v1/certs?provenance=harvested");
    EXPECT_EQ(requests[0]["content_type"], "application/pem-certificate-chain");
    EXPECT_EQ(requests[0]["body"], m_alice.pem() + m_intermediate.pem());
    EXPECT_EQ(requests[0]["authorization"], ""); // no token unless one is configured
}

TEST_F(DirectoryClientTest, SubmitCarriesThePublisherTokenWhenGiven) {
    m_stub.answerJson(201, {{"results",
                             {{{"status", "accepted"},
                               {"fingerprint_sha256", m_alice.sha256Fingerprint()},
                               {"addresses_sha256", {addressHash("alice@example.org")}}}}}});
    ClientOptions options;
    options.baseUrl = m_stub.url();
    options.bearerToken = "publisher-token-0123456789";
    const std::vector<crypto::Certificate> chain{m_alice, m_intermediate};
    auto r = DirectoryClient(options).submit(chain, "enrolled");
    ASSERT_TRUE(r.ok()) << r.error().detail;
    const auto requests = m_stub.requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["path"], "/v1/certs?provenance=enrolled");
    EXPECT_EQ(requests[0]["authorization"], "Bearer publisher-token-0123456789");
}

TEST_F(DirectoryClientTest, RejectionIsAResultNotAnError) {
    m_stub.answerJson(422, {{"error", "rejected"}, {"reason", "untrusted"}, {"detail", "unable to get issuer"}});
    const std::vector<crypto::Certificate> chain{m_alice};
    auto r = client().submit(chain, "self");
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->status, SubmissionStatus::Rejected);
    EXPECT_EQ(r->reason, "untrusted");
    // A 201 that says "rejected" contradicts itself.
    m_stub.answerJson(201, {{"results", {{{"status", "rejected"}, {"reason", "expired"}}}}});
    EXPECT_EQ(client().submit(chain, "self").error().code, base::ErrorCode::ProtocolError);
}

TEST_F(DirectoryClientTest, CanEncryptAsksByAddress) {
    m_stub.answerJson(200, {{"can_encrypt", true}, {"valid_until", "2035-01-01T00:00:00Z"}});
    auto r = client().canEncrypt("Alice+tag@Example.org");
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_TRUE(r->canEncrypt);
    EXPECT_EQ(m_stub.requests().back()["path"], "/v1/can-encrypt/alice%2Btag@example.org");
}

namespace {

// A self-signed TLS server certificate for 127.0.0.1, written as PEM files into `dir`.
void writeServerCertificate(const std::filesystem::path& dir) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    ASSERT_TRUE(key && cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("directory test"), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)> san(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1"), X509_EXTENSION_free);
    ASSERT_TRUE(san);
    X509_add_ext(cert.get(), san.get(), -1);
    ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
    std::unique_ptr<BIO, decltype(&BIO_free)> certOut(BIO_new_file((dir / "server.pem").c_str(), "w"), BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> keyOut(BIO_new_file((dir / "server.key").c_str(), "w"), BIO_free);
    ASSERT_TRUE(certOut && keyOut);
    ASSERT_EQ(PEM_write_bio_X509(certOut.get(), cert.get()), 1);
    ASSERT_EQ(PEM_write_bio_PrivateKey(keyOut.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
}

class DirectoryClientTlsTest : public ::testing::Test {
protected:
    static std::filesystem::path prepared(const TempDir& dir) {
        writeServerCertificate(dir.path());
        return dir.path();
    }

    TempDir m_certs;
    std::filesystem::path m_dir = prepared(m_certs);
    DirectoryStub m_stub{(m_dir / "server.pem").string(), (m_dir / "server.key").string()};
    const std::vector<std::string> m_asked{"alice@example.org"};
};

} // namespace

TEST_F(DirectoryClientTlsTest, PrivateDirectoryIsTrustedThroughTheCaFile) {
    m_stub.answerJson(200, {{"results",
                             {{{"address", "alice@example.org"},
                               {"address_sha256", addressHash("alice@example.org")},
                               {"certificates", Json::array()}}}}});
    ClientOptions options;
    options.baseUrl = m_stub.url();
    options.caFile = (m_dir / "server.pem").string();
    auto r = DirectoryClient(options).lookup(m_asked);
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(r->size(), 1U);
}

TEST_F(DirectoryClientTlsTest, UnknownServerCertificateIsUntrusted) {
    m_stub.answerJson(200, {{"results", Json::array()}});
    ClientOptions options;
    options.baseUrl = m_stub.url();
    auto r = DirectoryClient(options).lookup(m_asked);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::ErrorCode::UntrustedServer) << r.error().detail;
}
