#pragma once

#include "base/Result.h"

#include <string>
#include <string_view>

namespace sealpost::directory {

// The directory's normalised form of an address (docs/directory-api.md, "Addresses and their
// hash"): surrounding white space removed, ASCII letters lower-cased (the local part too), exactly
// one '@' with a non-empty local part and domain, at most 254 bytes, no control characters or
// spaces. InvalidArgument otherwise.
[[nodiscard]] base::Result<std::string> normaliseAddress(std::string_view address);

// Lower-case hex SHA-256 of the bytes of a normalised address (64 characters).
[[nodiscard]] std::string addressHash(std::string_view normalisedAddress);

} // namespace sealpost::directory
