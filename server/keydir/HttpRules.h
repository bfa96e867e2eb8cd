#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::keydir {

// The small HTTP rules the API applies, independent of the HTTP library.

// Decodes %XX escapes; nullopt on a broken escape or an encoded NUL.
[[nodiscard]] std::optional<std::string> percentDecode(std::string_view text);

// Which lookup representation an Accept header asks for (RFC 9110 12.5.1: the most specific
// matching range gives the quality; JSON wins ties).
enum class Preferred { JsonAnswer, CertsOnly, None };
[[nodiscard]] Preferred negotiate(std::optional<std::string_view> accept, bool certsOnlyOffered) noexcept;

// If-None-Match against a strong ETag (weak comparison, as RFC 9110 13.1.2 asks; "*" matches).
[[nodiscard]] bool etagMatches(std::string_view ifNoneMatch, std::string_view etag) noexcept;

// The media type of a Content-Type value, lower-cased, without parameters ("application/json").
[[nodiscard]] std::string mediaType(std::string_view contentType);
// A parameter's value (unquoted, lower-cased), or nullopt.
[[nodiscard]] std::optional<std::string> mediaParameter(std::string_view contentType, std::string_view name);

// The client a request counts against: the last X-Forwarded-For entry (the one our own proxy
// added) when forwarded addresses are trusted and present, the peer's address otherwise.
[[nodiscard]] std::string_view clientAddress(std::string_view peer, std::optional<std::string_view> forwardedFor,
                                             bool trustForwardedFor) noexcept;

// Constant-time comparison for secrets (the publisher token).
[[nodiscard]] bool secretEquals(std::string_view a, std::string_view b) noexcept;

} // namespace sealpost::keydir
