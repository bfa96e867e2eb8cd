#pragma once
// The fixture of the ACME server tests: a real SQLite store in a temporary directory, the fakes
// of AcmeTestSupport.h, and an ACME client that signs real JWS.

#include "AcmeTestSupport.h"
#include "ca/acme/store/SqliteAcmeStore.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <unistd.h>

namespace sealpost::ca::acme::test {

inline constexpr std::string_view kBase = "https://ca.example";

struct Client {
    crypto::PrivateKey key;
    std::string kid; // the account URL once registered
};

struct Sent {
    std::optional<nlohmann::json> header; // extra or replacing protected-header members
    bool useJwk = false;
};

class AcmeServerFixture : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir =
            std::filesystem::temp_directory_path() / ("sealpost-acme-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
        auto opened = SqliteAcmeStore::open(m_dir / "acme.sqlite");
        ASSERT_TRUE(opened) << opened.error().detail;
        store = std::move(*opened);
        issuer = std::make_unique<FakeIssuer>(clock);
        config.externalUrl = std::string(kBase);
        config.challengeFrom = "acme@ca.example";
        config.website = "https://ca.example/about";
        restart();
    }
    void TearDown() override {
        server.reset();
        store.reset();
        std::filesystem::remove_all(m_dir);
    }

    // A new server over the same store (after changing `config`).
    void restart() {
        server = std::make_unique<AcmeServer>(config, *store, activeIssuer(), mailer, clock,
                                              [this](const IssuedCertificate& c) {
                                                  const std::lock_guard lock(m_publishedMutex);
                                                  published.push_back(c.leaf);
                                              });
    }

    // The issuer restart() hands to the server: the fake unless a test chose another.
    Issuer& activeIssuer() { return m_otherIssuer != nullptr ? *m_otherIssuer : *issuer; }
    void useIssuer(Issuer& other) {
        m_otherIssuer = &other;
        restart();
    }
    [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }

    static std::string pathOf(std::string_view url) {
        EXPECT_TRUE(url.starts_with(kBase)) << url;
        return std::string(url.substr(kBase.size()));
    }

    AcmeResponse get(const std::string& path, std::string_view method = "GET") {
        return server->handle({method, path, std::nullopt, {}});
    }

    std::string nonce() {
        const AcmeResponse response = get("/acme/new-nonce", "HEAD");
        EXPECT_EQ(response.status, 200);
        return std::string(response.header("Replay-Nonce").value_or(""));
    }

    std::string signedBody(const Client& client, const std::string& path, const std::optional<nlohmann::json>& payload,
                           const Sent& how = {}) {
        nlohmann::json header = {{"alg", algFor(client.key)}, {"nonce", nonce()}, {"url", std::string(kBase) + path}};
        if (how.useJwk || client.kid.empty()) {
            header["jwk"] = nlohmann::json::parse(*crypto::jwkJson(crypto::PublicKey::of(client.key)));
        } else {
            header["kid"] = client.kid;
        }
        if (how.header) {
            for (const auto& [name, value] : how.header->items()) {
                if (value.is_null()) {
                    header.erase(name);
                } else {
                    header[name] = value;
                }
            }
        }
        const std::string text = payload ? payload->dump() : std::string();
        auto jws = crypto::signJws(client.key, header.dump(), base::asBytes(text));
        EXPECT_TRUE(jws) << jws.error().detail;
        return jws ? *jws : std::string();
    }

    AcmeResponse postBody(const std::string& path, const std::string& body,
                          std::optional<std::string_view> type = "application/jose+json") {
        return server->handle({"POST", path, type, body});
    }

    // POST (payload) or POST-as-GET (nullopt) to a path or an absolute URL of the server.
    AcmeResponse post(const Client& client, std::string_view where, const std::optional<nlohmann::json>& payload,
                      const Sent& how = {}) {
        const std::string path = where.starts_with("https://") ? pathOf(where) : std::string(where);
        return postBody(path, signedBody(client, path, payload, how));
    }

    static nlohmann::json json(const AcmeResponse& response) {
        return nlohmann::json::parse(response.body, nullptr, false);
    }
    static std::string problemType(const AcmeResponse& response) {
        const auto body = json(response);
        return body.is_object() && body.contains("type") ? body["type"].get<std::string>() : std::string("<none>");
    }
    static std::string acme(std::string_view type) { return "urn:ietf:params:acme:error:" + std::string(type); }

    static std::string algFor(const crypto::PrivateKey& key) {
        return std::string(crypto::jwsAlgorithmName(*crypto::jwsAlgorithmFor(crypto::PublicKey::of(key))));
    }

    Client newAccount(crypto::KeySpec spec = crypto::KeySpec::P256) {
        Client client{*crypto::generateKey(spec), {}};
        const AcmeResponse response =
            post(client, "/acme/new-account",
                 nlohmann::json{{"termsOfServiceAgreed", true}, {"contact", {"mailto:admin@example.org"}}});
        EXPECT_EQ(response.status, 201) << response.body;
        client.kid = std::string(response.header("Location").value_or(""));
        return client;
    }

    struct Order {
        std::string url;
        nlohmann::json body;
    };
    Order newOrder(const Client& client, const std::vector<std::string>& emails, const std::string& replaces = {}) {
        nlohmann::json identifiers = nlohmann::json::array();
        for (const std::string& email : emails) {
            identifiers.push_back({{"type", "email"}, {"value", email}});
        }
        nlohmann::json payload = {{"identifiers", identifiers}};
        if (!replaces.empty()) {
            payload["replaces"] = replaces;
        }
        const AcmeResponse response = post(client, "/acme/new-order", payload);
        EXPECT_EQ(response.status, 201) << response.body;
        return {std::string(response.header("Location").value_or("")), json(response)};
    }

    struct Challenge {
        std::string url;
        std::string tokenPart2;
        std::string tokenPart1; // from the mail
        std::string identifier;
    };
    Challenge challengeOf(const Client& client, const std::string& authzUrl) {
        const AcmeResponse response = post(client, authzUrl, std::nullopt);
        EXPECT_EQ(response.status, 200) << response.body;
        const auto body = json(response);
        const std::string identifier = body["identifier"]["value"];
        const auto& c = body["challenges"][0];
        return {c["url"], c["token"], mailer.lastTo(identifier).tokenPart1, identifier};
    }

    // RFC 8823 section 3, computed here independently of the server.
    static std::string expectedResponse(const Client& client, const Challenge& c) {
        const std::string keyAuthorization =
            c.tokenPart1 + c.tokenPart2 + "." + *crypto::jwkThumbprint(crypto::PublicKey::of(client.key));
        std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
        SHA256(reinterpret_cast<const unsigned char*>(keyAuthorization.data()), keyAuthorization.size(), digest.data());
        return crypto::base64UrlEncode(base::ByteView(digest.data(), digest.size()));
    }

    ReplyVerdict reply(const Challenge& c, const std::string& response, std::string from = {}, bool dkim = true) {
        ChallengeReply r;
        r.tokenPart1 = c.tokenPart1;
        r.fromAddress = from.empty() ? c.identifier : from;
        r.response = response;
        r.dkimVerified = dkim;
        r.messageId = "reply@example.org";
        auto verdict = server->acceptReply(r);
        EXPECT_TRUE(verdict) << verdict.error().detail;
        return verdict ? *verdict : ReplyVerdict::Ignored;
    }

    // Reply rightly and tell the server.
    void validate(const Client& client, const std::string& authzUrl) {
        const Challenge c = challengeOf(client, authzUrl);
        ASSERT_EQ(reply(c, expectedResponse(client, c)), ReplyVerdict::Accepted);
        const AcmeResponse response = post(client, c.url, nlohmann::json::object());
        ASSERT_EQ(response.status, 200) << response.body;
        ASSERT_EQ(json(response)["status"], "valid");
    }

    AcmeResponse finalize(const Client& client, const Order& order, const std::vector<std::string>& emails,
                          const crypto::PrivateKey& certKey) {
        auto csr = crypto::makeCsr(certKey, {emails, {}});
        EXPECT_TRUE(csr) << csr.error().detail;
        return post(client, order.body["finalize"].get<std::string>(),
                    nlohmann::json{{"csr", crypto::base64UrlEncode(*csr)}});
    }

    // A certificate for `emails`, issued to `client`: the full flow. Returns the final order.
    nlohmann::json issue(const Client& client, const std::vector<std::string>& emails,
                         const crypto::PrivateKey& certKey, const std::string& replaces = {}) {
        const Order order = newOrder(client, emails, replaces);
        for (const auto& authzUrl : order.body["authorizations"]) {
            validate(client, authzUrl);
        }
        const AcmeResponse response = finalize(client, order, emails, certKey);
        EXPECT_EQ(response.status, 200) << response.body;
        return json(response);
    }

    SettableClock clock;
    FakeMailer mailer;
    std::unique_ptr<FakeIssuer> issuer;
    std::unique_ptr<SqliteAcmeStore> store;
    AcmeServerConfig config;
    std::unique_ptr<AcmeServer> server;
    std::vector<crypto::Certificate> published;

private:
    std::filesystem::path m_dir;
    std::mutex m_publishedMutex;
    Issuer* m_otherIssuer = nullptr;
};

} // namespace sealpost::ca::acme::test
