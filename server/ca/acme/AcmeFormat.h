#pragma once
// Internal to ca/acme: small pure functions (time text, address syntax, random tokens, digests).

#include "base/Clock.h"
#include "base/Result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sealpost::ca::acme::detail {

[[nodiscard]] std::int64_t toUnixSeconds(base::TimePoint time) noexcept;
// "2026-06-01T00:00:00Z".
[[nodiscard]] std::string rfc3339(std::int64_t unixSeconds);

// An addr-spec we issue for: an ASCII dot-atom local part (at most 64 octets) "@" a domain of at
// least two LDH labels (at most 253 octets). No quoted local parts, no address literals.
[[nodiscard]] bool isValidEmail(std::string_view address) noexcept;
// The domain lower-cased, the local part as written.
[[nodiscard]] std::string normaliseEmail(std::string_view address);
// The address entirely lower-cased (what the Issuer is given).
[[nodiscard]] std::string lowerCase(std::string_view text);
// Local part exact, domain case-insensitive.
[[nodiscard]] bool sameMailbox(std::string_view a, std::string_view b) noexcept;
// The addr-spec of "Name <addr>" or of a bare address, surrounding whitespace removed.
[[nodiscard]] std::string_view addrSpecOf(std::string_view mailbox) noexcept;
// The part after "@".
[[nodiscard]] std::string_view domainOf(std::string_view address) noexcept;

// `bytes` random bytes from OpenSSL's generator, base64url. CryptoFailure when it fails.
[[nodiscard]] base::Result<std::string> randomToken(std::size_t bytes);
// base64url(SHA-256(text)).
[[nodiscard]] std::string sha256Base64Url(std::string_view text);
// Lower-case hex SHA-256 of `data`.
[[nodiscard]] std::string sha256Hex(std::string_view data);
// Equal strings, in time independent of where they differ.
[[nodiscard]] bool constantTimeEquals(std::string_view a, std::string_view b) noexcept;

} // namespace sealpost::ca::acme::detail
