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

} // namespace sealpost::crypto
