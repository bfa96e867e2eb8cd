#pragma once

// Internal to keydir/store: what both back ends store, and how.

#include "base/Bytes.h"
#include "base/Result.h"
#include "keydir/store/CertStore.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::keydir::detail {

// Each certificate as a 4-byte big-endian length followed by its bytes, in order. The store
// never parses certificates, so the encoding must not rely on them being DER.
[[nodiscard]] base::Bytes encodeChain(const std::vector<base::Bytes>& chain);
// MalformedInput when the lengths do not add up to the blob (a damaged row).
[[nodiscard]] base::Result<std::vector<base::Bytes>> decodeChain(base::ByteView blob);

// Fingerprints and address hashes are lower-case hex SHA-256 (64 characters).
[[nodiscard]] bool isHexSha256(std::string_view text) noexcept;
// InvalidArgument unless put() may store this: at least one hash, every key well formed.
[[nodiscard]] base::Result<void> checkPut(std::span<const std::string> addressHashes, const StoredCert& cert);
// InvalidArgument unless `addressHash` is well formed.
[[nodiscard]] base::Result<void> checkHash(std::string_view addressHash);

} // namespace sealpost::keydir::detail
