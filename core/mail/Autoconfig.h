#pragma once

#include "base/Result.h"
#include "mail/ServerSettings.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::mail {

class SrvResolver;

// Where discover() looked, in the order it looks.
enum class DiscoveryMethod {
    AutoconfigHost, // https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS
    WellKnown,      // https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml
    IspDatabase,    // ISP database URL + DOMAIN (only when configured)
    Srv,            // RFC 6186 / RFC 8314 SRV records
    Guess,          // imap./smtp./mail.DOMAIN and DOMAIN on the standard ports, verified by connecting
};
[[nodiscard]] std::string_view discoveryMethodName(DiscoveryMethod m) noexcept; // "autoconfig", "well-known", ...

enum class StepOutcome {
    Found,    // this step named a server (for a guess: it answered)
    NotFound, // nothing there (HTTP 404, no SRV record, nothing usable in the document)
    Failed,   // an error: unreachable, untrusted certificate, malformed document, ...
};
[[nodiscard]] std::string_view stepOutcomeName(StepOutcome o) noexcept; // "found" | "not-found" | "failed"

// One thing discover() tried and what came of it.
struct DiscoveryStep {
    DiscoveryMethod method = DiscoveryMethod::AutoconfigHost;
    std::string tried; // the URL, the SRV name, or "imap host:port (tls)" for a guess
    StepOutcome outcome = StepOutcome::NotFound;
    std::optional<base::Error> error; // why not Found (code and technical detail)
};

// The outcome of discover(): the servers found (host, port, security, user name, auth method; no
// secret) and every step tried. A server is absent when no step found one.
struct DiscoveryResult {
    std::optional<ServerSettings> imap;
    std::optional<ServerSettings> smtp;
    std::vector<DiscoveryStep> steps;
};

struct DiscoveryOptions {
    // Called on the calling thread after each step, in order.
    std::function<void(const DiscoveryStep&)> progress;
    const std::atomic<bool>* cancel = nullptr;
    // E.g. "https://autoconfig.thunderbird.net/v1.1/" (the domain is appended); empty: not asked.
    std::string ispDatabaseUrl;
    // libcurl CONNECT_TO entries "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT", for every connection
    // discover() makes: points names at other servers (tests, split-horizon setups).
    std::vector<std::string> connectTo;
    // Extra trust anchors (PEM) for the HTTPS look-ups and guessed servers, besides the system's.
    std::string caFile;
    // Permits http:// for the ISP database when its host is loopback (tests); https otherwise.
    bool allowHttpForLoopback = false;
    std::chrono::seconds httpTimeout{10};   // whole HTTP request
    std::chrono::seconds connectTimeout{3}; // per connection attempt (HTTP, guesses)
    // nullptr: the system resolver, asking `dnsServer` ("IPv4[:PORT]") when set.
    SrvResolver* srvResolver = nullptr;
    std::string dnsServer;
    // Injection points for tests; empty: the real thing (libcurl). `fetch` returns the body of an
    // HTTP 200 (NotFound for 404/410); `probe` connects to a guessed server and reads its greeting
    // ("imap" or "smtp"); it is called from several threads at once.
    std::function<base::Result<std::string>(const std::string& url)> fetch;
    std::function<base::Result<void>(const ServerSettings& server, std::string_view scheme)> probe;
};

// Finds the IMAP and SMTP servers for `address`: autoconfig host, well-known URL, ISP database,
// SRV records, then guesses; stops once both are known. Implicit TLS is preferred over STARTTLS and
// plaintext is never proposed. InvalidArgument for an address without a domain; Cancelled when
// asked to stop. Finding nothing is not an error: the result then has no server.
[[nodiscard]] base::Result<DiscoveryResult> discover(std::string_view address, const DiscoveryOptions& options);

} // namespace sealpost::mail
