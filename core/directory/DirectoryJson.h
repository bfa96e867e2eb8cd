#pragma once

// Strict readers of the directory's JSON answers. Anything that is not what docs/directory-api.md
// promises (not JSON, wrong types, missing fields, a certificate that does not parse or does not
// match its fingerprint, results that do not match the request) is a ProtocolError: a client
// must not act on half-understood answers. Unknown extra fields are ignored.

#include "base/Result.h"
#include "directory/DirectoryTypes.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::directory {

// The body of POST /v1/lookup for `addresses` (normalised), in order.
[[nodiscard]] base::Result<std::vector<AddressCertificates>>
parseLookupResponse(std::string_view body, std::span<const std::string> addresses);
// The body of GET /v1/certs/{address} (200).
[[nodiscard]] base::Result<AddressCertificates> parseCertsResponse(std::string_view body, std::string_view address);
// The body of POST /v1/certs for one certificate: {"results": [one]} or, for a 422, an error body
// with "reason".
[[nodiscard]] base::Result<SubmissionResult> parseSubmissionResponse(std::string_view body);
[[nodiscard]] base::Result<CanEncrypt> parseCanEncryptResponse(std::string_view body);
// nullopt when the body is not an error body.
[[nodiscard]] std::optional<ErrorBody> parseErrorBody(std::string_view body);

// RFC 3339 date-time ("2026-11-24T10:00:00Z", offsets and fractions accepted); nullopt otherwise.
[[nodiscard]] std::optional<base::TimePoint> parseRfc3339(std::string_view text);

} // namespace sealpost::directory
