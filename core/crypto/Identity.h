#pragma once

#include "crypto/Certificate.h"
#include "crypto/PrivateKey.h"

#include <vector>

namespace sealpost::crypto {

// A private key with its certificate and the chain above it (without the root, usually).
struct Identity {
    PrivateKey key;
    Certificate certificate;
    std::vector<Certificate> chain;
};

// Checks that the key belongs to the certificate (InvalidArgument otherwise).
[[nodiscard]] base::Result<void> checkKeyMatchesCertificate(const PrivateKey& key, const Certificate& cert);

} // namespace sealpost::crypto
