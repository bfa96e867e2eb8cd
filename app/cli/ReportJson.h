#pragma once

#include "smime/OpenReport.h"

#include <nlohmann/json.hpp>

namespace sealpost::cli {

// The `open --json` status report (field names are part of the CLI's contract; see docs/cli.md).
[[nodiscard]] nlohmann::ordered_json reportToJson(const smime::OpenReport& report);

[[nodiscard]] std::string formatTime(base::TimePoint t); // RFC 3339, UTC
// RFC 3339 ("2026-06-01T00:00:00Z", "2026-06-01T02:00:00+02:00"); nullopt when malformed.
[[nodiscard]] std::optional<base::TimePoint> parseTime(const std::string& text);

} // namespace sealpost::cli
