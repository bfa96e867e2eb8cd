#pragma once

#include "base/ByteSink.h"

#include <array>
#include <cstdint>
#include <string>

namespace sealpost::smime {

// Base64-encodes a stream into 76-character CRLF lines and forwards them to `target`, so large
// CMS output never needs to sit in memory twice. Call finish() once at the end.
class Base64Sink final : public base::ByteSink {
public:
    explicit Base64Sink(base::ByteSink& target) : m_target(target) {}
    [[nodiscard]] bool write(base::ByteView data) override;
    [[nodiscard]] bool finish();

private:
    bool flushLine(bool final);
    base::ByteSink& m_target;
    std::array<std::uint8_t, 3> m_pending{};
    std::size_t m_pendingSize = 0;
    std::string m_line;
};

} // namespace sealpost::smime
