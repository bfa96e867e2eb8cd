#include "crypto/CertificateCache.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <climits>

namespace sealpost::crypto {

base::Result<Certificate> CertificateCache::get(base::ByteView der) {
    const std::string_view key = base::asString(der);
    {
        const std::lock_guard lock(m_mutex);
        if (auto it = m_entries.find(key); it != m_entries.end()) {
            return it->second;
        }
    }
    // Parsed outside the lock: it is the slow part, and other threads may hit meanwhile.
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return base::makeError(base::ErrorCode::MalformedInput, "certificate too large");
    }
    const unsigned char* p = der.data();
    OsslPtr<X509> parsed(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!parsed || p != der.data() + der.size()) {
        return openSslError(base::ErrorCode::MalformedInput, "not a single X.509 certificate");
    }
    Certificate cert = Certificate::adopt(parsed.release());
    const std::lock_guard lock(m_mutex);
    if (auto it = m_entries.find(key); it != m_entries.end()) {
        return it->second; // another thread parsed it first: hand out the one that is cached
    }
    if (m_entries.size() >= m_capacity) {
        m_entries.clear();
    }
    m_entries.emplace(std::string(key), cert);
    return cert;
}

std::size_t CertificateCache::size() const {
    const std::lock_guard lock(m_mutex);
    return m_entries.size();
}

} // namespace sealpost::crypto
