#pragma once

#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::mail {

// The servers a Thunderbird autoconfig document (config-v1.1.xml) names for an address: the first
// usable IMAP incomingServer and SMTP outgoingServer, placeholders (%EMAILADDRESS%,
// %EMAILLOCALPART%, %EMAILDOMAIN%) resolved. Servers with socketType "plain" are skipped: we never
// propose an unencrypted connection. Either may be absent.
struct AutoconfigServers {
    std::optional<ServerSettings> imap;
    std::optional<ServerSettings> smtp;
};

constexpr std::size_t kMaxAutoconfigSize = std::size_t{1} << 20U;

// MalformedInput for a document that is not well-formed XML or not a clientConfig;
// LimitExceeded above kMaxAutoconfigSize. `address` is the user's addr-spec.
[[nodiscard]] base::Result<AutoconfigServers> parseAutoconfigXml(std::string_view xml, std::string_view address);

// Replaces %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% with the parts of `address`.
[[nodiscard]] std::string resolvePlaceholders(std::string_view pattern, std::string_view address);

} // namespace sealpost::mail
