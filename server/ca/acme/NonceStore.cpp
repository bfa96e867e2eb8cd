#include "ca/acme/NonceStore.h"

#include "ca/acme/AcmeFormat.h"

namespace sealpost::ca::acme::detail {
namespace {
constexpr std::size_t kNonceBytes = 16;
} // namespace

NonceStore::NonceStore(std::chrono::seconds lifetime, std::size_t capacity)
    : m_lifetime(lifetime), m_capacity(capacity == 0 ? 1 : capacity) {}

base::Result<std::string> NonceStore::issue(base::TimePoint now) {
    auto nonce = randomToken(kNonceBytes);
    if (!nonce) {
        return nonce;
    }
    const std::lock_guard lock(m_mutex);
    forgetExpired(now);
    while (m_expiry.size() >= m_capacity && !m_order.empty()) {
        m_expiry.erase(m_order.front());
        m_order.pop_front();
    }
    if (m_order.size() > 2 * m_capacity) {
        // Mostly consumed nonces: drop them from the issue order.
        std::erase_if(m_order, [this](const std::string& old) { return !m_expiry.contains(old); });
    }
    m_expiry.emplace(*nonce, now + m_lifetime);
    m_order.push_back(*nonce);
    return nonce;
}

bool NonceStore::consume(std::string_view nonce, base::TimePoint now) {
    const std::lock_guard lock(m_mutex);
    forgetExpired(now);
    const auto found = m_expiry.find(std::string(nonce));
    if (found == m_expiry.end()) {
        return false;
    }
    // Its entry in m_order stays until it reaches the front; erasing a missing key is harmless.
    m_expiry.erase(found);
    return true;
}

void NonceStore::forgetExpired(base::TimePoint now) {
    while (!m_order.empty()) {
        const auto found = m_expiry.find(m_order.front());
        if (found != m_expiry.end() && found->second > now) {
            break;
        }
        if (found != m_expiry.end()) {
            m_expiry.erase(found);
        }
        m_order.pop_front();
    }
}

} // namespace sealpost::ca::acme::detail
