#pragma once

#include "base/Result.h"
#include "crypto/Certificate.h"

#include <string>

namespace sealpost::crypto {

// The ARI certificate identifier (RFC 9773 section 4.1):
// base64url(AKI keyIdentifier) "." base64url(DER content octets of the serial number), unpadded.
// InvalidArgument when the certificate has no authority key identifier with a keyIdentifier.
[[nodiscard]] base::Result<std::string> ariCertId(const Certificate& certificate);

} // namespace sealpost::crypto
