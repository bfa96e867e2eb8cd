#pragma once

#include "base/ByteSink.h"

#include <array>
#include <cstdint>
#include <string>

namespace sealpost::smime {

// Base64-encodes a stream into 76-character CRLF lines and forwards them to `target` in large
// blocks, so large CMS output never sits in memory twice. Call finish() once at the end.
class Base64Sink final : public base::ByteSink {
public:
    explicit Base64Sink(base::ByteSink& target);
    [[nodiscard]] bool write(base::ByteView data) override;
    [[nodiscard]] bool finish();

private:
    static constexpr std::size_t kLineBytes = 57; // 57 octets make one 76-character line
    void encodeLine(const std::uint8_t* in, std::size_t n);
    [[nodiscard]] bool flush();

    base::ByteSink& m_target;
    std::array<std::uint8_t, kLineBytes> m_pending{};
    std::size_t m_pendingSize = 0;
    std::string m_out;
};

} // namespace sealpost::smime
