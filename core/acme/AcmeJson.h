#pragma once

// ACME's JSON objects to structs and back. Internal to core/acme (no JSON type in its API).

#include "acme/AcmeError.h"
#include "acme/AcmeTypes.h"
#include "base/Result.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::acme::detail {

// A problem document, or nullopt when `body` is not a JSON object. `httpStatus` is used when the
// document has no "status".
[[nodiscard]] std::optional<AcmeProblem> parseProblem(std::string_view body, int httpStatus);
// "type: detail [identifier: type: detail; ...]" for error messages.
[[nodiscard]] std::string describeProblem(const AcmeProblem& problem);

// Each: MalformedInput when `body` is not JSON, ProtocolError when a required member is missing
// or has the wrong type (the detail names it).
[[nodiscard]] base::Result<Directory> parseDirectory(std::string_view body);
[[nodiscard]] base::Result<Account> parseAccount(std::string_view body);
[[nodiscard]] base::Result<Order> parseOrder(std::string_view body);
[[nodiscard]] base::Result<Authorization> parseAuthorization(std::string_view body);
[[nodiscard]] base::Result<Challenge> parseChallenge(std::string_view body);
[[nodiscard]] base::Result<RenewalInfo> parseRenewalInfo(std::string_view body);

} // namespace sealpost::acme::detail
