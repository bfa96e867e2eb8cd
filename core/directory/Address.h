#pragma once

#include "crypto/AddressHash.h"

namespace sealpost::directory {

// The directory's address normalisation and hash, shared with the server (crypto/AddressHash.h).
using crypto::addressHash;
using crypto::normaliseAddress;

} // namespace sealpost::directory
