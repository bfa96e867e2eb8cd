#pragma once

#include "crypto/AddressHash.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::keydir {

// How the directory names an address (docs/directory-api.md, "Addresses and their hash"); the
// rules themselves are shared with the client in crypto/AddressHash.h.

// Surrounding white space removed, ASCII letters lower-cased (local part included), exactly one
// '@' with a non-empty local part and domain, at most 254 bytes, no control characters or
// spaces. nullopt when the input is not such an address.
[[nodiscard]] std::optional<std::string> normaliseAddress(std::string_view address);

// Lower-case hexadecimal SHA-256 of the (already normalised) address's bytes: 64 characters.
using crypto::addressHash;

// True for exactly 64 lower-case hexadecimal digits (what addressHash() returns).
[[nodiscard]] bool isAddressHash(std::string_view text) noexcept;

// The 32 bytes an address hash spells (the caller checked isAddressHash()).
[[nodiscard]] std::array<unsigned char, 32> addressHashBytes(std::string_view hash) noexcept;

} // namespace sealpost::keydir
