#include "keydir/Address.h"

#include "crypto/AddressHash.h"

#include <array>
#include <utility>

namespace sealpost::keydir {
namespace {

int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

} // namespace

std::optional<std::string> normaliseAddress(std::string_view address) {
    auto normalised = crypto::normaliseAddress(address);
    if (!normalised) {
        return std::nullopt;
    }
    return std::move(*normalised);
}

bool isAddressHash(std::string_view text) noexcept {
    if (text.size() != 64) {
        return false;
    }
    for (char c : text) {
        if (hexValue(c) < 0) {
            return false;
        }
    }
    return true;
}

std::array<unsigned char, 32> addressHashBytes(std::string_view hash) noexcept {
    std::array<unsigned char, 32> out{};
    for (std::size_t i = 0; i < 32 && 2 * i + 1 < hash.size(); ++i) {
        out[i] = static_cast<unsigned char>((hexValue(hash[2 * i]) << 4) | hexValue(hash[2 * i + 1]));
    }
    return out;
}

} // namespace sealpost::keydir
