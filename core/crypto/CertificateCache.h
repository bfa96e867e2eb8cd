#pragma once

#include "base/Bytes.h"
#include "base/Result.h"
#include "crypto/Certificate.h"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sealpost::crypto {

// Parsed certificates by their exact encoding, so that a certificate seen again (the same signer
// or intermediate on message after message) is not parsed again: parsing is the expensive part
// of reading a SignedData. Thread-safe; bounded (emptied when full). The owner passes it to
// verifyCms through VerifyOptions.
class CertificateCache {
public:
    static constexpr std::size_t kDefaultCapacity = 4096;

    explicit CertificateCache(std::size_t capacity = kDefaultCapacity) : m_capacity(capacity == 0 ? 1 : capacity) {}

    // The certificate encoded by exactly `der` (one certificate, nothing after it); the same
    // object for the same bytes while it stays cached. MalformedInput when it is not one.
    [[nodiscard]] base::Result<Certificate> get(base::ByteView der);

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Certificate, Hash, std::equal_to<>> m_entries; // key: the whole DER
};

} // namespace sealpost::crypto
