#include "acme/HttpHeaders.h"

#include <gtest/gtest.h>

namespace sealpost::acme {
namespace {

using namespace std::chrono_literals;

base::TimePoint at(int y, unsigned m, unsigned d) {
    return base::TimePoint{std::chrono::sys_days{std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)}};
}

TEST(HttpHeadersTest, SeveralLinksPerFieldAndSeveralFields) {
    const std::vector<std::string> fields = {
        R"(<https://ca.test/a,b>; rel="alternate"; title="x;y", <https://ca.test/up> ;REL=up)",
        R"(<https://ca.test/dir>;rel="index", garbage, <https://ca.test/both>; rel="alternate up")"};
    const auto links = parseLinkHeaders(fields);
    ASSERT_EQ(links.size(), 4U);
    EXPECT_EQ(links[0].url, "https://ca.test/a,b");
    EXPECT_TRUE(links[0].hasRelation("alternate"));
    ASSERT_EQ(links[0].parameters.size(), 2U);
    EXPECT_EQ(links[0].parameters[1], (std::pair<std::string, std::string>{"title", "x;y"}));
    EXPECT_TRUE(links[1].hasRelation("up"));
    EXPECT_TRUE(links[2].hasRelation("index"));
    EXPECT_TRUE(links[3].hasRelation("alternate"));
    EXPECT_TRUE(links[3].hasRelation("UP"));
    EXPECT_EQ(linksWithRelation(links, "alternate"),
              (std::vector<std::string>{"https://ca.test/a,b", "https://ca.test/both"}));
    EXPECT_EQ(linksWithRelation(links, "up"), (std::vector<std::string>{"https://ca.test/up", "https://ca.test/both"}));
}

TEST(HttpHeadersTest, MalformedLinksAreSkipped) {
    const std::vector<std::string> fields = {"<unterminated; rel=up", "no-brackets; rel=up", ""};
    EXPECT_TRUE(parseLinkHeaders(fields).empty());
}

TEST(HttpHeadersTest, RetryAfterSecondsAndDates) {
    const base::TimePoint now = at(2026, 3, 1);
    EXPECT_EQ(parseRetryAfter("120", now), std::optional<std::chrono::seconds>(120s));
    EXPECT_EQ(parseRetryAfter(" 0 ", now), std::optional<std::chrono::seconds>(0s));
    EXPECT_EQ(parseRetryAfter("Sun, 01 Mar 2026 00:01:30 GMT", now), std::optional<std::chrono::seconds>(90s));
    EXPECT_EQ(parseRetryAfter("Sat, 28 Feb 2026 23:00:00 GMT", now), std::optional<std::chrono::seconds>(0s));
    EXPECT_FALSE(parseRetryAfter("soon", now).has_value());
    EXPECT_FALSE(parseRetryAfter("-5", now).has_value());
    EXPECT_FALSE(parseRetryAfter("Sun, 31 Feb 2026 00:00:00 GMT", now).has_value());
    EXPECT_FALSE(parseRetryAfter("", now).has_value());
}

TEST(HttpHeadersTest, Rfc3339) {
    EXPECT_EQ(parseRfc3339("2026-03-01T00:00:00Z"), std::optional<base::TimePoint>(at(2026, 3, 1)));
    EXPECT_EQ(parseRfc3339("2026-03-01T02:30:00+02:30"), std::optional<base::TimePoint>(at(2026, 3, 1)));
    EXPECT_EQ(parseRfc3339("2026-02-28T23:00:00-01:00"), std::optional<base::TimePoint>(at(2026, 3, 1)));
    EXPECT_EQ(parseRfc3339("2026-03-01T00:00:00.25Z"), std::optional<base::TimePoint>(at(2026, 3, 1) + 250ms));
    EXPECT_FALSE(parseRfc3339("2026-03-01 00:00:00Z").has_value());
    EXPECT_FALSE(parseRfc3339("2026-13-01T00:00:00Z").has_value());
    EXPECT_FALSE(parseRfc3339("2026-03-01T00:00:00").has_value());
    EXPECT_FALSE(parseRfc3339("2026-03-01T00:00:00.Z").has_value());
}

TEST(HttpHeadersTest, ResolveUrl) {
    EXPECT_EQ(resolveUrl("https://ca.test:14000/acme/cert/1", "/acme/cert/1/2"), "https://ca.test:14000/acme/cert/1/2");
    EXPECT_EQ(resolveUrl("https://ca.test/x", "https://other.test/y"), "https://other.test/y");
    EXPECT_EQ(resolveUrl("https://ca.test", "/y"), "https://ca.test/y");
}

} // namespace
} // namespace sealpost::acme
