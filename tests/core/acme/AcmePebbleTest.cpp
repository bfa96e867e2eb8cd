// The ACME client against a real Pebble (Let's Encrypt's test CA), started by with-pebble.sh
// (pebble.sh) with PEBBLE_VA_ALWAYS_VALID=1: challenges need a POST but no real validation.

#include "acme/AcmeClient.h"
#include "crypto/Certificate.h"
#include "crypto/CertificateChain.h"
#include "crypto/Csr.h"
#include "crypto/Jose.h"
#include "crypto/KeyGen.h"

#include <atomic>
#include <cstdlib>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace sealpost::acme {
namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
    const char* value = std::getenv(name); // NOLINT(concurrency-mt-unsafe): read before any thread starts
    return value == nullptr ? std::string{} : std::string(value);
}

// Passes every exchange to the real transport and counts Pebble's badNonce refusals.
class CountingTransport final : public HttpTransport {
public:
    explicit CountingTransport(HttpTransport& inner) : m_inner(inner) {}
    base::Result<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override {
        auto response = m_inner.send(request, stop);
        if (response.ok() && response->status == 400 &&
            response->body.find("urn:ietf:params:acme:error:badNonce") != std::string::npos) {
            ++badNonces;
        }
        return response;
    }
    int badNonces = 0;

private:
    HttpTransport& m_inner;
};

struct Issued {
    Order order;
    CertificateChain chain;
    std::vector<crypto::Certificate> certificates;
    crypto::PrivateKey certificateKey;
};

std::string uniqueName() {
    static std::atomic<int> counter{0};
    return "host" + std::to_string(++counter) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".sealpost.example";
}

class AcmePebbleTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_directoryUrl = env("PEBBLE_DIRECTORY_URL");
        m_managementUrl = env("PEBBLE_MANAGEMENT_URL");
        if (m_directoryUrl.empty() || m_managementUrl.empty() || env("PEBBLE_CA_FILE").empty()) {
            GTEST_SKIP() << "no Pebble: run through tests/core/acme/with-pebble.sh (needs the pebble package)";
        }
        m_curl = makeCurlTransport(CurlTransportOptions{env("PEBBLE_CA_FILE"), 10s, 30s, std::size_t{1024} * 1024, {}});
        m_transport = std::make_unique<CountingTransport>(*m_curl);
    }

    std::unique_ptr<AcmeClient> client(const crypto::PrivateKey& key, int maxBadNonceRetries = 5) {
        AcmeClientConfig config;
        config.directoryUrl = m_directoryUrl;
        config.transport = m_transport.get();
        config.clock = &m_clock;
        config.sleeper = &m_sleeper;
        config.maxBadNonceRetries = maxBadNonceRetries;
        return std::make_unique<AcmeClient>(std::move(config), key);
    }

    static crypto::PrivateKey key(crypto::KeySpec spec) { return crypto::generateKey(spec).value(); }

    // Pebble's root number n (regenerated at each start), from its management interface.
    std::vector<crypto::Certificate> root(int n) {
        auto response =
            m_curl->send(HttpRequest{HttpMethod::Get, m_managementUrl + "/roots/" + std::to_string(n), {}, {}}, {});
        EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().detail);
        if (!response.ok() || response->status != 200) {
            return {};
        }
        auto certs = crypto::Certificate::parseAll(base::asBytes(response->body));
        return certs.ok() ? *certs : std::vector<crypto::Certificate>{};
    }

    void expectChainsTo(const std::vector<crypto::Certificate>& chain,
                        const std::vector<crypto::Certificate>& anchors) {
        ASSERT_GE(chain.size(), 2U);
        ASSERT_FALSE(anchors.empty());
        const std::span<const crypto::Certificate> untrusted(chain.begin() + 1, chain.end());
        const crypto::ChainCheck check =
            crypto::checkChain(chain.front(), untrusted, anchors, m_clock.now(), crypto::ChainPurpose::AnyLeaf);
        EXPECT_TRUE(check.valid) << check.detail;
    }

    // newAccount with contact and terms agreed.
    static Account registerAccount(AcmeClient& c) {
        auto account = c.newAccount({{"mailto:admin@sealpost.example"}, true, false});
        EXPECT_TRUE(account.ok()) << (account.ok() ? "" : account.error().detail());
        return account.ok() ? *account : Account{};
    }

    // The whole flow for one dns identifier: order, http-01, poll, finalize, download.
    std::optional<Issued> issue(AcmeClient& c, const std::string& name) {
        const PollOptions fast{60s, 100ms, 2000ms};
        auto order = c.newOrder({{{"dns", name}}, {}});
        EXPECT_TRUE(order.ok()) << (order.ok() ? "" : order.error().detail());
        if (!order.ok()) {
            return std::nullopt;
        }
        EXPECT_EQ(order->identifiers, (std::vector<Identifier>{{"dns", name}}));
        for (const auto& url : order->authorizations) {
            auto authz = c.fetchAuthorization(url);
            EXPECT_TRUE(authz.ok()) << (authz.ok() ? "" : authz.error().detail());
            if (!authz.ok()) {
                return std::nullopt;
            }
            if (authz->status == AuthorizationStatus::Valid) {
                continue; // Pebble reuses valid authorizations now and then
            }
            const Challenge* http = authz->challenge("http-01");
            EXPECT_NE(http, nullptr);
            if (http == nullptr) {
                return std::nullopt;
            }
            EXPECT_TRUE(crypto::keyAuthorization(http->token, crypto::PublicKey::of(c.accountKey())).ok());
            auto answered = c.respondToChallenge(http->url);
            EXPECT_TRUE(answered.ok()) << (answered.ok() ? "" : answered.error().detail());
            auto done = c.pollAuthorization(url, fast);
            EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().detail());
            if (!done.ok()) {
                return std::nullopt;
            }
            EXPECT_EQ(done->status, AuthorizationStatus::Valid);
        }
        auto ready = c.pollOrder(order->url, fast);
        EXPECT_TRUE(ready.ok()) << (ready.ok() ? "" : ready.error().detail());
        if (!ready.ok()) {
            return std::nullopt;
        }
        EXPECT_EQ(ready->status, OrderStatus::Ready);
        crypto::PrivateKey certificateKey = key(crypto::KeySpec::P256);
        auto csr = crypto::makeCsr(certificateKey, crypto::CsrContent{{}, {name}});
        EXPECT_TRUE(csr.ok());
        auto finalized = c.finalize(*ready, *csr);
        EXPECT_TRUE(finalized.ok()) << (finalized.ok() ? "" : finalized.error().detail());
        if (!finalized.ok()) {
            return std::nullopt;
        }
        auto valid = c.pollOrder(order->url, fast);
        EXPECT_TRUE(valid.ok()) << (valid.ok() ? "" : valid.error().detail());
        if (!valid.ok() || valid->status != OrderStatus::Valid) {
            ADD_FAILURE() << "order not valid";
            return std::nullopt;
        }
        auto chain = c.downloadCertificate(valid->certificate);
        EXPECT_TRUE(chain.ok()) << (chain.ok() ? "" : chain.error().detail());
        if (!chain.ok()) {
            return std::nullopt;
        }
        auto certificates = crypto::Certificate::parseAll(base::asBytes(chain->pem));
        EXPECT_TRUE(certificates.ok());
        if (!certificates.ok() || certificates->size() < 2) {
            ADD_FAILURE() << "no chain in the download";
            return std::nullopt;
        }
        // The leaf certifies the CSR's key.
        EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(certificates->front().native()), certificateKey.native()), 1);
        return Issued{*valid, std::move(*chain), std::move(*certificates), certificateKey};
    }

    std::string m_directoryUrl;
    std::string m_managementUrl;
    std::unique_ptr<HttpTransport> m_curl;
    std::unique_ptr<CountingTransport> m_transport;
    base::SystemClock m_clock;
    ThreadSleeper m_sleeper;
};

TEST_F(AcmePebbleTest, FullFlowWithEs256AccountKeyAlternateChainAndRevocation) {
    auto c = client(key(crypto::KeySpec::P256));
    auto dir = c->directory();
    ASSERT_TRUE(dir.ok()) << dir.error().detail();
    EXPECT_FALSE(dir->termsOfService.empty());
    EXPECT_TRUE(dir->renewalInfo.empty()); // Pebble 2.4 has no ARI
    const Account account = registerAccount(*c);
    EXPECT_TRUE(account.created);
    EXPECT_EQ(account.status, "valid");

    auto issued = issue(*c, uniqueName());
    ASSERT_TRUE(issued.has_value());
    expectChainsTo(issued->certificates, root(0));

    // PEBBLE_ALTERNATE_ROOTS=1: the same leaf under Pebble's second root.
    ASSERT_EQ(issued->chain.alternates.size(), 1U) << "run Pebble with PEBBLE_ALTERNATE_ROOTS=1";
    auto alternate = c->downloadCertificate(issued->chain.alternates.front());
    ASSERT_TRUE(alternate.ok()) << alternate.error().detail();
    auto alternateCerts = crypto::Certificate::parseAll(base::asBytes(alternate->pem));
    ASSERT_TRUE(alternateCerts.ok());
    ASSERT_GE(alternateCerts->size(), 2U);
    EXPECT_EQ(alternateCerts->front().der(), issued->certificates.front().der());
    EXPECT_NE((*alternateCerts)[1].der(), issued->certificates[1].der());
    expectChainsTo(*alternateCerts, root(1));

    const base::Bytes der = issued->certificates.front().der();
    auto revoked = c->revokeCertificate(der, RevocationReason::Superseded);
    ASSERT_TRUE(revoked.ok()) << revoked.error().detail();
    auto again = c->revokeCertificate(der, RevocationReason::Superseded);
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(again.error().isProblem("alreadyRevoked")) << again.error().detail();
}

TEST_F(AcmePebbleTest, FullFlowWithRs256AccountKeyAndRevocationByCertificateKey) {
    auto c = client(key(crypto::KeySpec::Rsa2048));
    ASSERT_TRUE(registerAccount(*c).created);
    auto issued = issue(*c, uniqueName());
    ASSERT_TRUE(issued.has_value());
    expectChainsTo(issued->certificates, root(0));
    auto revoked = c->revokeCertificateWithKey(issued->certificates.front().der(), issued->certificateKey,
                                               RevocationReason::KeyCompromise);
    EXPECT_TRUE(revoked.ok()) << revoked.error().detail();
}

TEST_F(AcmePebbleTest, ExistingAccountAndOnlyReturnExisting) {
    const crypto::PrivateKey accountKey = key(crypto::KeySpec::P256);
    auto c = client(accountKey);
    const Account first = registerAccount(*c);
    ASSERT_TRUE(first.created);

    auto again = client(accountKey)->newAccount({{}, true, false});
    ASSERT_TRUE(again.ok()) << again.error().detail();
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->url, first.url);

    auto lookup = client(accountKey)->newAccount({{}, false, true});
    ASSERT_TRUE(lookup.ok()) << lookup.error().detail();
    EXPECT_EQ(lookup->url, first.url);

    auto unknown = client(key(crypto::KeySpec::P256))->newAccount({{}, false, true});
    ASSERT_FALSE(unknown.ok());
    EXPECT_TRUE(unknown.error().isProblem("accountDoesNotExist")) << unknown.error().detail();
    EXPECT_EQ(unknown.error().code(), base::ErrorCode::NotFound);
}

TEST_F(AcmePebbleTest, KeyRolloverThenTheOldKeyIsRefused) {
    const crypto::PrivateKey oldKey = key(crypto::KeySpec::P256);
    const crypto::PrivateKey newKey = key(crypto::KeySpec::P384);
    auto c = client(oldKey);
    const Account account = registerAccount(*c);
    ASSERT_FALSE(account.url.empty());
    auto rolled = c->changeKey(newKey);
    ASSERT_TRUE(rolled.ok()) << rolled.error().detail();

    auto fetched = c->fetchAccount(); // now signed by the new key
    ASSERT_TRUE(fetched.ok()) << fetched.error().detail();
    EXPECT_EQ(fetched->status, "valid");
    auto lookup = client(newKey)->newAccount({{}, false, true});
    ASSERT_TRUE(lookup.ok()) << lookup.error().detail();
    EXPECT_EQ(lookup->url, account.url);

    auto old = client(oldKey);
    old->setAccountUrl(account.url);
    auto refused = old->fetchAccount();
    ASSERT_FALSE(refused.ok());
    EXPECT_TRUE(refused.error().problem.has_value()) << refused.error().detail();
    auto gone = client(oldKey)->newAccount({{}, false, true});
    ASSERT_FALSE(gone.ok());
    EXPECT_TRUE(gone.error().isProblem("accountDoesNotExist")) << gone.error().detail();
}

TEST_F(AcmePebbleTest, ContactUpdateAuthorizationDeactivationThenDeactivatedAccountCannotOrder) {
    auto c = client(key(crypto::KeySpec::P256));
    ASSERT_TRUE(registerAccount(*c).created);
    auto updated = c->updateContact({"mailto:other@sealpost.example"});
    ASSERT_TRUE(updated.ok()) << updated.error().detail();
    EXPECT_EQ(updated->contact, std::vector<std::string>{"mailto:other@sealpost.example"});

    auto pending = c->newOrder({{{"dns", uniqueName()}}, {}});
    ASSERT_TRUE(pending.ok()) << pending.error().detail();
    ASSERT_EQ(pending->authorizations.size(), 1U);
    auto authz = c->deactivateAuthorization(pending->authorizations.front());
    ASSERT_TRUE(authz.ok()) << authz.error().detail();
    EXPECT_EQ(authz->status, AuthorizationStatus::Deactivated);

    auto deactivated = c->deactivateAccount();
    ASSERT_TRUE(deactivated.ok()) << deactivated.error().detail();
    EXPECT_EQ(deactivated->status, "deactivated");
    auto order = c->newOrder({{{"dns", uniqueName()}}, {}});
    ASSERT_FALSE(order.ok());
    EXPECT_TRUE(order.error().isProblem("unauthorized")) << order.error().detail();
    EXPECT_EQ(order.error().code(), base::ErrorCode::AuthFailed);
}

TEST_F(AcmePebbleTest, TransportChecksTheServerAndLimitsTheAnswer) {
    auto untrusting = makeCurlTransport({});
    auto refused = untrusting->send(HttpRequest{HttpMethod::Get, m_directoryUrl, {}, {}}, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, base::ErrorCode::UntrustedServer) << refused.error().detail;

    auto small = makeCurlTransport(CurlTransportOptions{env("PEBBLE_CA_FILE"), 10s, 30s, 64, {}});
    auto tooLarge = small->send(HttpRequest{HttpMethod::Get, m_directoryUrl, {}, {}}, {});
    ASSERT_FALSE(tooLarge.ok());
    EXPECT_EQ(tooLarge.error().code, base::ErrorCode::ProtocolError);
    EXPECT_NE(tooLarge.error().detail.find("larger than 64 bytes"), std::string::npos) << tooLarge.error().detail;

    auto dir = client(key(crypto::KeySpec::P256))->directory();
    ASSERT_TRUE(dir.ok()) << dir.error().detail();
    auto head = m_curl->send(HttpRequest{HttpMethod::Head, dir->newNonce, {}, {}}, {});
    ASSERT_TRUE(head.ok()) << head.error().detail;
    EXPECT_EQ(head->status, 200);
    EXPECT_TRUE(head->header("replay-nonce").has_value());
    EXPECT_TRUE(head->body.empty());
}

// Run with PEBBLE_WFE_NONCEREJECT=50: half the good nonces are refused, so nearly every step
// goes through the badNonce retry.
TEST_F(AcmePebbleTest, NonceStormFullFlow) {
    auto c = client(key(crypto::KeySpec::P256), 30);
    ASSERT_TRUE(registerAccount(*c).created);
    auto issued = issue(*c, uniqueName());
    ASSERT_TRUE(issued.has_value());
    expectChainsTo(issued->certificates, root(0));
    EXPECT_GT(m_transport->badNonces, 0);
    RecordProperty("badNonces", m_transport->badNonces);
}

} // namespace
} // namespace sealpost::acme
