#pragma once

#include "base/Clock.h"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::acme {

// One link of a Link header field (RFC 8288).
struct LinkTarget {
    std::string url;                                             // as written between < and >
    std::vector<std::string> relations;                          // "rel" split at whitespace, lower-case
    std::vector<std::pair<std::string, std::string>> parameters; // every parameter, names lower-case, unquoted
    [[nodiscard]] bool hasRelation(std::string_view relation) const;
};

// Every link of every given Link field value. A field may hold several comma-separated links;
// malformed links are skipped, never an error.
[[nodiscard]] std::vector<LinkTarget> parseLinkHeaders(std::span<const std::string> fieldValues);

// URLs of links with relation `relation`, in order.
[[nodiscard]] std::vector<std::string> linksWithRelation(std::span<const LinkTarget> links, std::string_view relation);

// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an IMF-fixdate, as a delay from `now`
// (never negative). nullopt when the value is neither.
[[nodiscard]] std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value, base::TimePoint now);

// RFC 3339 date-time ("2025-01-02T03:04:05Z", fractional seconds and numeric offsets allowed).
[[nodiscard]] std::optional<base::TimePoint> parseRfc3339(std::string_view text);

// "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::optional<base::TimePoint> parseImfFixdate(std::string_view text);

// Resolves `reference` against `base` when it is an absolute path ("/x"); an absolute URL is
// returned unchanged, anything else as well.
[[nodiscard]] std::string resolveUrl(std::string_view base, std::string_view reference);

} // namespace sealpost::acme
