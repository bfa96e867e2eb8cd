#include "mail/Autoconfig.h"

#include "mail/SrvResolver.h"

#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <set>

namespace sealpost::mail {
namespace {

using base::ErrorCode;

std::string documentFor(const std::string& imapHost, const std::string& smtpHost) {
    return R"(<clientConfig version="1.1"><emailProvider id="x">
      <incomingServer type="imap"><hostname>)" +
           imapHost + R"(</hostname><port>993</port><socketType>SSL</socketType>
        <username>%EMAILADDRESS%</username></incomingServer>
      <outgoingServer type="smtp"><hostname>)" +
           smtpHost + R"(</hostname><port>465</port><socketType>SSL</socketType>
        <username>%EMAILADDRESS%</username></outgoingServer>
    </emailProvider></clientConfig>)";
}

class FakeResolver final : public SrvResolver {
public:
    std::map<std::string, std::vector<SrvRecord>> records;
    std::vector<std::string> asked;
    base::Result<std::vector<SrvRecord>> lookup(const std::string& name) override {
        asked.push_back(name);
        const auto it = records.find(name);
        if (it == records.end()) {
            return base::makeError(ErrorCode::NotFound, "no record");
        }
        return it->second;
    }
};

// A network where only the given URLs serve documents and only the given "scheme host:port" answer.
struct FakeNet {
    std::map<std::string, std::string> documents;
    std::set<std::string> answering;
    std::vector<std::string> fetched;
    std::mutex mutex;
    std::vector<std::string> probed;
    FakeResolver resolver;

    DiscoveryOptions options() {
        DiscoveryOptions o;
        o.srvResolver = &resolver;
        o.fetch = [this](const std::string& url) -> base::Result<std::string> {
            fetched.push_back(url);
            const auto it = documents.find(url);
            if (it == documents.end()) {
                return base::makeError(ErrorCode::Unreachable, "no connection");
            }
            return it->second;
        };
        o.probe = [this](const ServerSettings& s, std::string_view scheme) -> base::Result<void> {
            const std::string key = std::string(scheme) + " " + s.host + ":" + std::to_string(s.port);
            const std::lock_guard lock(mutex);
            probed.push_back(key);
            if (answering.count(key) == 0) {
                return base::makeError(ErrorCode::Unreachable, "refused");
            }
            return base::Ok{};
        };
        return o;
    }
};

const std::string kAutoconfigUrl =
    "https://autoconfig.example.net/mail/config-v1.1.xml?emailaddress=jo%2Bx%40example.net";
const std::string kWellKnownUrl = "https://example.net/.well-known/autoconfig/mail/config-v1.1.xml";

TEST(AutoconfigTest, AutoconfigHostFirstAndStopsWhenFound) {
    FakeNet net;
    net.documents["https://autoconfig.example.net/mail/config-v1.1.xml?emailaddress=jo%2Bx%40Example.NET"] =
        documentFor("imap.example.net", "smtp.example.net");
    auto options = net.options();
    options.ispDatabaseUrl = "https://isp.example/v1.1/";
    auto result = discover("jo+x@Example.NET", options);
    ASSERT_TRUE(result) << result.error().detail;
    ASSERT_EQ(result->steps.size(), 1U);
    EXPECT_EQ(result->steps[0].method, DiscoveryMethod::AutoconfigHost);
    EXPECT_EQ(result->steps[0].tried, net.fetched.at(0));
    EXPECT_EQ(result->steps[0].outcome, StepOutcome::Found);
    ASSERT_TRUE(result->imap && result->smtp);
    EXPECT_EQ(result->imap->host, "imap.example.net");
    EXPECT_EQ(result->imap->username, "jo+x@Example.NET");
    EXPECT_EQ(result->smtp->port, 465);
    EXPECT_TRUE(net.resolver.asked.empty());
    EXPECT_TRUE(net.probed.empty());
}

TEST(AutoconfigTest, MalformedDocumentIsReportedThenTheNextStepRuns) {
    FakeNet net;
    net.documents[kAutoconfigUrl] = "<clientConfig><oops></clientConfig>";
    net.documents[kWellKnownUrl] = documentFor("a.example.net", "b.example.net");
    auto result = discover("jo+x@example.net", net.options());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->steps.size(), 2U);
    EXPECT_EQ(result->steps[0].outcome, StepOutcome::Failed);
    ASSERT_TRUE(result->steps[0].error);
    EXPECT_EQ(result->steps[0].error->code, ErrorCode::MalformedInput);
    EXPECT_EQ(result->steps[1].method, DiscoveryMethod::WellKnown);
    EXPECT_EQ(result->steps[1].outcome, StepOutcome::Found);
    EXPECT_EQ(result->imap->host, "a.example.net");
}

TEST(AutoconfigTest, OrderIsDocumentsIspSrvThenGuesses) {
    FakeNet net;
    net.resolver.records["_imaps._tcp.example.net"] = {{10, 0, 993, ""}}; // "." : not offered
    net.resolver.records["_imap._tcp.example.net"] = {{20, 0, 1143, "backup.example.net"},
                                                      {10, 0, 143, "imap.example.net"}};
    net.answering = {"smtp mail.example.net:587", "smtp example.net:465", "smtp smtp.example.net:587"};
    auto options = net.options();
    options.ispDatabaseUrl = "https://isp.example/v1.1/";
    std::vector<std::string> reported;
    options.progress = [&](const DiscoveryStep& s) {
        reported.push_back(std::string(discoveryMethodName(s.method)) + " " + s.tried);
    };
    auto result = discover("jo+x@example.net", options);
    ASSERT_TRUE(result) << result.error().detail;
    EXPECT_EQ(net.fetched,
              (std::vector<std::string>{kAutoconfigUrl, kWellKnownUrl, "https://isp.example/v1.1/example.net"}));
    // IMAP came from SRV, so only SMTP is looked up and guessed further.
    EXPECT_EQ(net.resolver.asked,
              (std::vector<std::string>{"_imaps._tcp.example.net", "_imap._tcp.example.net",
                                        "_submissions._tcp.example.net", "_submission._tcp.example.net"}));
    ASSERT_TRUE(result->imap);
    EXPECT_EQ(result->imap->host, "imap.example.net"); // lowest priority value first
    EXPECT_EQ(result->imap->port, 143);
    EXPECT_EQ(result->imap->security, Security::StartTls);
    ASSERT_TRUE(result->smtp);
    EXPECT_EQ(result->smtp->host, "example.net"); // implicit TLS preferred over STARTTLS on smtp.
    EXPECT_EQ(result->smtp->port, 465);
    EXPECT_EQ(result->smtp->security, Security::ImplicitTls);
    EXPECT_EQ(result->smtp->username, "jo+x@example.net");
    ASSERT_EQ(reported.size(), result->steps.size());
    ASSERT_EQ(result->steps.size(), 3U + 4U + 6U);
    EXPECT_EQ(reported[3], "srv _imaps._tcp.example.net");
    EXPECT_EQ(result->steps[3].outcome, StepOutcome::NotFound);
    EXPECT_EQ(result->steps[4].outcome, StepOutcome::Found);
    EXPECT_EQ(reported[7], "guess smtp smtp.example.net:465 (tls)");
    EXPECT_EQ(reported[9], "guess smtp example.net:465 (tls)");
    EXPECT_EQ(reported[10], "guess smtp smtp.example.net:587 (starttls)");
    EXPECT_EQ(result->steps[7].outcome, StepOutcome::Failed);
    EXPECT_EQ(result->steps[7].error->code, ErrorCode::Unreachable);
    EXPECT_EQ(net.probed.size(), 6U); // no IMAP guesses
}

TEST(AutoconfigTest, FindingNothingIsAResultWithoutServers) {
    FakeNet net;
    auto result = discover("jo@example.net", net.options());
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->imap);
    EXPECT_FALSE(result->smtp);
    EXPECT_EQ(result->steps.size(), 2U + 4U + 12U);
    for (const auto& step : result->steps) {
        EXPECT_NE(step.outcome, StepOutcome::Found);
        EXPECT_TRUE(step.error);
    }
}

TEST(AutoconfigTest, CancelStopsBeforeTheNextStep) {
    FakeNet net;
    std::atomic<bool> cancel{false};
    auto options = net.options();
    options.cancel = &cancel;
    options.progress = [&](const DiscoveryStep&) { cancel = true; };
    auto result = discover("jo@example.net", options);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(net.fetched.size(), 1U);
}

TEST(AutoconfigTest, RejectsAddressesWithoutDomain) {
    FakeNet net;
    for (const char* bad : {"jo", "jo@", "@example.net", "jo@exa/mple.net", "jo@host:25"}) {
        auto result = discover(bad, net.options());
        ASSERT_FALSE(result) << bad;
        EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    }
    EXPECT_TRUE(net.fetched.empty());
}

// The real HTTP client: https only, loopback http only when allowed, connect-to honoured.
TEST(AutoconfigTest, RealFetchRefusesHttpAndFollowsConnectTo) {
    FakeResolver resolver;
    DiscoveryOptions options;
    options.srvResolver = &resolver;
    options.ispDatabaseUrl = "http://isp.example/";
    options.allowHttpForLoopback = true;
    options.connectTo = {"autoconfig.example.net:443:127.0.0.1:1", "example.net:443:127.0.0.1:1", "::127.0.0.1:1"};
    options.probe = [](const ServerSettings&, std::string_view) -> base::Result<void> {
        return base::makeError(ErrorCode::Unreachable, "fake");
    };
    auto result = discover("jo@example.net", options);
    ASSERT_TRUE(result);
    ASSERT_GE(result->steps.size(), 3U);
    EXPECT_EQ(result->steps[0].error->code, ErrorCode::Unreachable) << result->steps[0].error->detail;
    EXPECT_EQ(result->steps[1].error->code, ErrorCode::Unreachable) << result->steps[1].error->detail;
    EXPECT_EQ(result->steps[2].error->code, ErrorCode::InvalidArgument) << result->steps[2].error->detail;
}

// A named DNS server must be an IPv4 address with an optional port; nothing is asked otherwise.
TEST(SystemSrvResolverTest, RefusesAMalformedServer) {
    for (const char* server :
         {"dns.example.org", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:5x", ":53"}) {
        SystemSrvResolver resolver(server);
        auto r = resolver.lookup("_imaps._tcp.example.org");
        ASSERT_FALSE(r) << server;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << server << ": " << r.error().detail;
    }
}

} // namespace
} // namespace sealpost::mail
