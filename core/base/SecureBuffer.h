#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sealpost::base {

// Holds a secret (password, passphrase) and wipes it when destroyed or reassigned.
class SecureString {
public:
    SecureString() = default;
    explicit SecureString(std::string_view s) : m_value(s) {}
    SecureString(const SecureString&) = delete;
    SecureString& operator=(const SecureString&) = delete;
    SecureString(SecureString&& other) noexcept : m_value(std::move(other.m_value)) { other.wipe(); }
    SecureString& operator=(SecureString&& other) noexcept {
        if (this != &other) {
            wipe();
            m_value = std::move(other.m_value);
            other.wipe();
        }
        return *this;
    }
    ~SecureString() { wipe(); }

    [[nodiscard]] std::string_view view() const noexcept { return m_value; }
    [[nodiscard]] bool empty() const noexcept { return m_value.empty(); }

private:
    void wipe() noexcept;
    std::string m_value;
};

// Overwrites memory in a way the optimiser may not elide.
void secureWipe(void* data, std::size_t size) noexcept;

} // namespace sealpost::base
