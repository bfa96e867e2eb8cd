#pragma once

#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <string>
#include <string_view>

namespace sealpost::mail {

// A server given as a URL (command line, settings import):
//   imaps://HOST[:PORT]  IMAP over implicit TLS (default port 993)
//   imap://HOST[:PORT]   IMAP with STARTTLS required (143)
//   smtps://HOST[:PORT]  SMTP submission over implicit TLS (465)
//   smtp://HOST[:PORT]   SMTP submission with STARTTLS required (587)
//   imap+plain://HOST:PORT, smtp+plain://HOST:PORT  no TLS at all: only with `allowPlaintext` and
//                        only to a loopback host (tests, local bridges)
// IPv6 literals in brackets. `protocol` is "imap" or "smtp": the URL must be of that kind.
// InvalidArgument, naming the problem, for anything else. Only host, port and security are set.
[[nodiscard]] base::Result<ServerSettings> parseServerUrl(std::string_view url, std::string_view protocol,
                                                          bool allowPlaintext);

// The URL parseServerUrl() reads back into the same host, port and security.
[[nodiscard]] std::string serverUrl(const ServerSettings& server, std::string_view protocol);

} // namespace sealpost::mail
