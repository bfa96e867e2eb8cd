// The parts of the real transport and sleeper that need no server (the rest runs against Pebble).

#include "acme/HttpTransport.h"
#include "acme/Sleeper.h"

#include <gtest/gtest.h>
#include <thread>

namespace sealpost::acme {
namespace {

using namespace std::chrono_literals;

TEST(TransportTest, RefusesPlainHttpToOtherHostsAndOtherSchemes) {
    auto transport = makeCurlTransport({});
    for (const char* url : {"http://ca.example/directory", "ftp://127.0.0.1/x", "not a url"}) {
        auto response = transport->send(HttpRequest{HttpMethod::Get, url, {}, {}}, {});
        ASSERT_FALSE(response.ok()) << url;
        EXPECT_EQ(response.error().code, base::ErrorCode::InvalidArgument) << url;
    }
}

TEST(TransportTest, AStoppedTokenSendsNothing) {
    auto transport = makeCurlTransport({});
    std::stop_source stop;
    stop.request_stop();
    auto response = transport->send(HttpRequest{HttpMethod::Get, "https://127.0.0.1:1/", {}, {}}, stop.get_token());
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().code, base::ErrorCode::Cancelled);
}

TEST(TransportTest, HeaderLookupIsCaseInsensitiveAndKeepsEveryField) {
    HttpResponse response{200, {{"Link", "<a>;rel=up"}, {"replay-nonce", "n"}, {"LINK", "<b>;rel=alternate"}}, {}};
    EXPECT_EQ(response.header("Replay-Nonce"), std::optional<std::string>("n"));
    EXPECT_EQ(response.headerValues("link"), (std::vector<std::string>{"<a>;rel=up", "<b>;rel=alternate"}));
    EXPECT_FALSE(response.header("Retry-After").has_value());
}

TEST(SleeperTest, ReturnsFalseAtOnceWhenStopped) {
    ThreadSleeper sleeper;
    std::stop_source stop;
    stop.request_stop();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sleeper.sleepFor(60s, stop.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(SleeperTest, AStopFromAnotherThreadEndsTheWait) {
    ThreadSleeper sleeper;
    std::stop_source stop;
    std::jthread stopper([&stop] {
        std::this_thread::sleep_for(20ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sleeper.sleepFor(60s, stop.get_token()));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(SleeperTest, WaitsTheDurationWithoutAStop) {
    ThreadSleeper sleeper;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(sleeper.sleepFor(20ms, {}));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

} // namespace
} // namespace sealpost::acme
