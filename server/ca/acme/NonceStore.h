#pragma once
// Internal to ca/acme. Replay nonces live in memory only: a restart invalidates the outstanding
// ones, which costs each client one badNonce retry (RFC 8555 6.5 expects that), and keeps the
// database out of every request. Bounded: beyond `capacity` the oldest nonces are forgotten.

#include "base/Clock.h"
#include "base/Result.h"

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sealpost::ca::acme::detail {

class NonceStore {
public:
    NonceStore(std::chrono::seconds lifetime, std::size_t capacity);

    // A fresh nonce valid until now + lifetime. CryptoFailure when the random generator fails.
    [[nodiscard]] base::Result<std::string> issue(base::TimePoint now);
    // true exactly once for a nonce issued here and not yet expired or forgotten.
    [[nodiscard]] bool consume(std::string_view nonce, base::TimePoint now);

private:
    void forgetExpired(base::TimePoint now);

    std::chrono::seconds m_lifetime;
    std::size_t m_capacity;
    std::mutex m_mutex;
    std::unordered_map<std::string, base::TimePoint> m_expiry;
    std::deque<std::string> m_order; // issue order, for expiry and eviction
};

} // namespace sealpost::ca::acme::detail
