#pragma once

#include "base/Result.h"

#include <string>
#include <string_view>

namespace sealpost::crypto {

// How the key directory names an address, on both sides of its API (docs/directory-api.md,
// "Addresses and their hash"). The client and the server must agree byte for byte, so there is
// one definition, here.

// Surrounding white space removed, ASCII letters lower-cased (the local part too), exactly one
// '@' with a non-empty local part and domain, at most 254 bytes, no control characters or
// spaces. InvalidArgument, saying which rule failed, otherwise.
[[nodiscard]] base::Result<std::string> normaliseAddress(std::string_view address);

// Lower-case hexadecimal SHA-256 of the bytes of a normalised address: 64 characters.
[[nodiscard]] std::string addressHash(std::string_view normalisedAddress);

} // namespace sealpost::crypto
