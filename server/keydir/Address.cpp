#include "keydir/Address.h"

#include <array>
#include <openssl/evp.h>

namespace sealpost::keydir {
namespace {

constexpr std::size_t maxAddressBytes = 254;

bool isSurroundingSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

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
    while (!address.empty() && isSurroundingSpace(address.front())) {
        address.remove_prefix(1);
    }
    while (!address.empty() && isSurroundingSpace(address.back())) {
        address.remove_suffix(1);
    }
    if (address.empty() || address.size() > maxAddressBytes) {
        return std::nullopt;
    }
    const std::size_t at = address.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
        address.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    std::string out(address);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f) {
            return std::nullopt; // control characters and spaces (UTF-8 bytes >= 0x80 stay)
        }
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string addressHash(std::string_view normalisedAddress) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (EVP_Digest(normalisedAddress.data(), normalisedAddress.size(), digest.data(), &len, EVP_sha256(), nullptr) !=
        1) {
        return {}; // SHA-256 does not fail on a working OpenSSL; an empty hash matches nothing
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(static_cast<std::size_t>(len) * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
        out[2 * static_cast<std::size_t>(i)] = hex[digest[i] >> 4];
        out[2 * static_cast<std::size_t>(i) + 1] = hex[digest[i] & 0x0f];
    }
    return out;
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
