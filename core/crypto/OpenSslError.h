#pragma once

#include "base/Error.h"

#include <string>
#include <string_view>

namespace sealpost::crypto {

// Empties OpenSSL's thread-local error queue and returns it as "lib:reason; lib:reason".
[[nodiscard]] std::string drainOpenSslErrors();

// Discards the queue (after a failure that is expected and handled).
void clearOpenSslErrors() noexcept;

// An Error whose detail is `what` followed by the drained OpenSSL error queue.
[[nodiscard]] base::Error openSslError(base::ErrorCode code, std::string_view what);

} // namespace sealpost::crypto
