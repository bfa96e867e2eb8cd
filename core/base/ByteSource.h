#pragma once

#include "base/Bytes.h"
#include "base/Result.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace sealpost::base {

// Where streamed input comes from (a file, a string). Consumers pull as much as they need, so a
// large input never has to be held whole.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Fills the front of `out`; returns how many bytes were read, 0 only at the end. Io on failure.
    [[nodiscard]] virtual Result<std::size_t> read(std::span<std::uint8_t> out) = 0;
    // Starts again from the first byte; false when the source cannot (a pipe).
    [[nodiscard]] virtual bool rewind() = 0;
    // Total size in bytes when known in advance (a regular file), for reserving memory.
    [[nodiscard]] virtual std::optional<std::size_t> size() const { return std::nullopt; }
};

// Over bytes the caller keeps.
class ViewSource final : public ByteSource {
public:
    explicit ViewSource(std::string_view data) : m_data(data) {}
    [[nodiscard]] Result<std::size_t> read(std::span<std::uint8_t> out) override {
        const std::size_t n = std::min(out.size(), m_data.size() - m_pos);
        if (n > 0) {
            std::memcpy(out.data(), m_data.data() + m_pos, n);
        }
        m_pos += n;
        return n;
    }
    [[nodiscard]] bool rewind() override {
        m_pos = 0;
        return true;
    }
    [[nodiscard]] std::optional<std::size_t> size() const override { return m_data.size(); }

private:
    std::string_view m_data;
    std::size_t m_pos = 0;
};

} // namespace sealpost::base
