#include "base/SecureBuffer.h"

namespace sealpost::base {

void secureWipe(void* data, std::size_t size) noexcept {
    volatile auto* p = static_cast<volatile unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
        p[i] = 0;
    }
}

void SecureString::wipe() noexcept {
    // Wipe the whole capacity: short strings live inline, long ones on the heap.
    secureWipe(m_value.data(), m_value.capacity());
    m_value.clear();
}

} // namespace sealpost::base
