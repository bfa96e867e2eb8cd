#pragma once

#include "mime/HeaderField.h"

#include <string>
#include <string_view>

namespace sealpost::smime {

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
// Content-* fields travel with the entity they describe; everything else is a message header.
[[nodiscard]] bool isContentField(std::string_view name) noexcept;
// "Name:value\r\n" with folding preserved and line ends made CRLF.
[[nodiscard]] std::string headerLine(const mime::HeaderField& field);

} // namespace sealpost::smime
