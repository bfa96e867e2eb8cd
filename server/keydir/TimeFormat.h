#pragma once

#include "base/Clock.h"

#include <cstdint>
#include <string>

namespace sealpost::keydir {

// RFC 3339 in UTC with second precision: "2026-11-24T10:00:00Z".
[[nodiscard]] std::string formatTime(base::TimePoint t);
[[nodiscard]] std::string formatUnixTime(std::int64_t seconds);

[[nodiscard]] std::int64_t toUnixSeconds(base::TimePoint t) noexcept;

} // namespace sealpost::keydir
