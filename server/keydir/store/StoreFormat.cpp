#include "keydir/store/StoreFormat.h"

#include <cstddef>
#include <cstdint>
#include <limits>

namespace sealpost::keydir::detail {

base::Bytes encodeChain(const std::vector<base::Bytes>& chain) {
    std::size_t total = 0;
    for (const auto& cert : chain) {
        total += 4 + cert.size();
    }
    base::Bytes out;
    out.reserve(total);
    for (const auto& cert : chain) {
        const auto size = static_cast<std::uint32_t>(cert.size());
        out.push_back(static_cast<std::uint8_t>(size >> 24));
        out.push_back(static_cast<std::uint8_t>(size >> 16));
        out.push_back(static_cast<std::uint8_t>(size >> 8));
        out.push_back(static_cast<std::uint8_t>(size));
        out.insert(out.end(), cert.begin(), cert.end());
    }
    return out;
}

base::Result<std::vector<base::Bytes>> decodeChain(base::ByteView blob) {
    std::vector<base::Bytes> chain;
    std::size_t pos = 0;
    while (pos < blob.size()) {
        if (blob.size() - pos < 4) {
            return base::makeError(base::ErrorCode::MalformedInput, "stored chain: truncated length");
        }
        const std::uint32_t size = (std::uint32_t{blob[pos]} << 24) | (std::uint32_t{blob[pos + 1]} << 16) |
                                   (std::uint32_t{blob[pos + 2]} << 8) | std::uint32_t{blob[pos + 3]};
        pos += 4;
        if (blob.size() - pos < size) {
            return base::makeError(base::ErrorCode::MalformedInput, "stored chain: truncated certificate");
        }
        const auto first = blob.begin() + static_cast<std::ptrdiff_t>(pos);
        chain.emplace_back(first, first + static_cast<std::ptrdiff_t>(size));
        pos += size;
    }
    return chain;
}

bool isHexSha256(std::string_view text) noexcept {
    if (text.size() != 64) {
        return false;
    }
    for (const char c : text) {
        if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
            return false;
        }
    }
    return true;
}

base::Result<void> checkHash(std::string_view addressHash) {
    if (!isHexSha256(addressHash)) {
        return base::makeError(base::ErrorCode::InvalidArgument, "address hash is not lower-case hex SHA-256: '" +
                                                                     std::string(addressHash.substr(0, 80)) + "'");
    }
    return {};
}

base::Result<void> checkPut(std::span<const std::string> addressHashes, const StoredCert& cert) {
    if (addressHashes.empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument, "a certificate needs at least one address hash");
    }
    if (!isHexSha256(cert.fingerprint)) {
        return base::makeError(base::ErrorCode::InvalidArgument, "fingerprint is not lower-case hex SHA-256");
    }
    for (const auto& hash : addressHashes) {
        if (auto checked = checkHash(hash); !checked) {
            return checked;
        }
    }
    return {};
}

} // namespace sealpost::keydir::detail
