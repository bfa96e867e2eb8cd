#include "crypto/AddressHash.h"

#include <algorithm>
#include <array>
#include <openssl/evp.h>

namespace sealpost::crypto {

namespace {

constexpr std::size_t kMaxAddressBytes = 254;

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

} // namespace

base::Result<std::string> normaliseAddress(std::string_view address) {
    while (!address.empty() && isSpace(address.front())) {
        address.remove_prefix(1);
    }
    while (!address.empty() && isSpace(address.back())) {
        address.remove_suffix(1);
    }
    const auto bad = [&](const char* why) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "not an e-mail address (" + std::string(why) + "): " + std::string(address));
    };
    if (address.size() > kMaxAddressBytes) {
        return bad("longer than 254 bytes");
    }
    const auto at = address.find('@');
    if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
        return bad("needs exactly one @");
    }
    if (at == 0 || at + 1 == address.size()) {
        return bad("empty local part or domain");
    }
    std::string out;
    out.reserve(address.size());
    for (const char c : address) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) {
            return bad("control character or space");
        }
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

std::string addressHash(std::string_view normalisedAddress) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(normalisedAddress.data(), normalisedAddress.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        return {}; // only on allocation failure; an empty hash never matches anything
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest.at(i) >> 4U]);
        out.push_back(kHex[digest.at(i) & 0x0fU]);
    }
    return out;
}

} // namespace sealpost::crypto
