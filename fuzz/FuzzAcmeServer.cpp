// libFuzzer entry for sealpost-ca's ACME server: every request body (a JWS wrapping JSON) and
// target comes from anyone on the internet. The first byte picks the endpoint and method, the
// rest is the body (or, for GET, the path's last segment). Any crash, sanitizer report or trap is
// a bug; every answer must be a problem document or a success.
#include "ca/acme/AcmeServer.h"
#include "ca/acme/store/SqliteAcmeStore.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using namespace sealpost;

class RefusingIssuer final : public ca::Issuer {
public:
    base::Result<Outcome> issue(const ca::IssueRequest&) override {
        return Outcome{std::nullopt, ca::IssueError{ca::CsrProblem::BadCsr, "fuzzing"}};
    }
    const crypto::Certificate& root() const override { std::abort(); } // never asked without issuance
};

class NullMailer final : public ca::ChallengeMailer {
public:
    base::Result<void> send(const ca::OutgoingChallenge&) override { return {}; }
};

struct Fixture {
    Fixture()
        : dir(std::filesystem::temp_directory_path() / ("sealpost-fuzz-acme-" + std::to_string(::getpid()))),
          clock(std::chrono::system_clock::from_time_t(1780272000)) {
        std::filesystem::create_directories(dir);
        auto opened = ca::acme::SqliteAcmeStore::open(dir / "ca.sqlite");
        if (!opened) {
            std::abort();
        }
        store = std::move(opened).value();
        ca::acme::AcmeServerConfig config;
        config.externalUrl = "https://ca.example";
        config.challengeFrom = "acme@ca.example";
        server = std::make_unique<ca::acme::AcmeServer>(config, *store, issuer, mailer, clock);
    }
    ~Fixture() { std::filesystem::remove_all(dir); }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    std::filesystem::path dir;
    base::FixedClock clock;
    RefusingIssuer issuer;
    NullMailer mailer;
    std::unique_ptr<ca::acme::SqliteAcmeStore> store;
    std::unique_ptr<ca::acme::AcmeServer> server;
};

constexpr std::array<std::string_view, 12> kPosts = {
    "/acme/new-account", "/acme/new-order",     "/acme/revoke-cert", "/acme/key-change",
    "/acme/acct/1",      "/acme/acct/1/orders", "/acme/order/1",     "/acme/order/1/finalize",
    "/acme/authz/1",     "/acme/chall/1",       "/acme/cert/1",      "/acme/cert/1/1",
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Fixture fixture;
    if (size == 0) {
        return 0;
    }
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1); // NOLINT(*-reinterpret-cast)
    const std::uint8_t pick = data[0];
    ca::acme::AcmeResponse response;
    if (pick < 200) {
        response = fixture.server->handle({.method = "POST",
                                           .target = kPosts[pick % kPosts.size()],
                                           .contentType = "application/jose+json",
                                           .body = rest});
    } else {
        const std::string target = "/acme/renewal-info/" + std::string(rest.substr(0, 512));
        response = fixture.server->handle({.method = "GET", .target = target, .contentType = std::nullopt, .body = {}});
    }
    if (response.status < 200 || response.status > 599) {
        __builtin_trap();
    }
    return 0;
}
