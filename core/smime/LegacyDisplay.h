#pragma once
// Internal to the protector and the opener: the RFC 9788 legacy display element (section 4.5), a
// few "Name: value" lines and a blank line at the start of the main text part, marked on its
// Content-Type with hp-legacy-display="1", so that clients without header protection still show
// the protected Subject.

#include "base/Result.h"
#include "mime/MimeEntity.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::smime {

inline constexpr std::string_view kLegacyDisplayParam = "hp-legacy-display";

// `text` encoded as a part with Content-Transfer-Encoding `transferEncoding` carries it: base64
// and quoted-printable re-encode (CRLF lines), anything else is returned unchanged.
[[nodiscard]] std::string encodeAs(std::string_view transferEncoding, std::string_view text);

// `decoded` without its leading legacy display element: one or more header-like lines
// ("Name: value") and the blank line after them. nullopt when it does not start with one.
[[nodiscard]] std::optional<std::string> stripLegacyDisplay(std::string_view decoded);

// A raw Content-Type value (as after the colon) without parameter `name`; quoted strings are
// respected, everything else is kept byte for byte.
[[nodiscard]] std::string removeParameter(std::string_view rawValue, std::string_view name);

// The leaf of `payloadRoot` that gets the legacy display element: the root when it is text/plain,
// else the first text/plain part reached through the first part of multipart/mixed and the parts
// of multipart/alternative; attachments never. Null when there is none (e.g. text/html only).
[[nodiscard]] const mime::MimeEntity* legacyDisplayTarget(const mime::MimeEntity& payloadRoot);

} // namespace sealpost::smime
