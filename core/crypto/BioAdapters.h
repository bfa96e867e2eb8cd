#pragma once
// Internal: OpenSSL BIOs over our own sources and sinks, so CMS can stream without copies.

#include "base/ByteSink.h"
#include "base/Bytes.h"
#include "crypto/OpenSslHandles.h"

#include <span>

namespace sealpost::crypto {

// A read-only BIO that yields the pieces one after another, without copying them. The pieces
// (and the span) must outlive the BIO.
[[nodiscard]] OsslPtr<BIO> makeSourceBio(std::span<const base::ByteView> pieces);

// A write-only BIO that forwards every write to `sink`.
[[nodiscard]] OsslPtr<BIO> makeSinkBio(base::ByteSink& sink);

// Decryption in place: `source` reads `buffer` from the start, `sink` writes back into it from
// the start. A decryptor never produces more plaintext than it has read ciphertext, so the
// writes stay behind the reads; a write that would overtake them fails (never corrupts input).
struct InPlaceState {
    std::span<std::uint8_t> buffer;
    std::size_t read = 0;
    std::size_t written = 0;
};
struct InPlaceBios {
    OsslPtr<BIO> source;
    OsslPtr<BIO> sink;
};
// `state` must outlive both BIOs.
[[nodiscard]] InPlaceBios makeInPlaceBios(InPlaceState& state);

} // namespace sealpost::crypto
