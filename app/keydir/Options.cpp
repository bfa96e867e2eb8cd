#include "Options.h"

#include "http/ListenAddress.h"

#include <charconv>
#include <limits>

namespace sealpost::keydir::app {

const char* const usage = R"(Usage: sealpost-keydir --listen ADDR:PORT [options]
The public S/MIME certificate directory (docs/directory-api.md, docs/directory-server.md).

  --listen ADDR:PORT          where to accept HTTP ([::1]:8080 for IPv6); port 0 picks a free
                              port, printed as "listening on ADDR:PORT"
  --database URL              sqlite:PATH, PATH, or postgresql://... [sqlite:keydir.sqlite]
  --trust-anchors FILE        PEM bundle of the CAs submitted certificates must chain to
                              [the system's trust anchors]
  --threads N                 threads serving requests [one per core]
  --rate-client R/B           per client address: R requests/s, bursts of B [50/200]
  --rate-address R/B          per looked-up or submitted address [2/20]
  --max-body BYTES            largest request body [262144]
  --publisher-token-file F    the token that allows provenance=enrolled (first line of F)
  --tls-cert FILE             serve HTTPS with this PEM certificate chain (server's first) ...
  --tls-key FILE              ... and this PEM private key (both or neither)
  --trust-forwarded-for       take the client address from X-Forwarded-For (behind a proxy)
  --log-addresses             write addresses and hashes into the access log
  --help, --version
)";

namespace {

base::Error bad(const std::string& what) {
    return base::makeError(base::ErrorCode::InvalidArgument, what);
}

template <typename T> std::optional<T> parseInteger(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

base::Result<void> parseListen(const std::string& value, Options& options) {
    auto address = http::parseListenAddress(value);
    if (!address) {
        return bad("--listen needs ADDR:PORT with a port from 0 to 65535, got \"" + value + "\"");
    }
    options.host = std::move(address->host);
    options.port = address->port;
    return base::Ok{};
}

base::Result<void> applyValue(const std::string& flag, const std::string& value, Options& options) {
    if (flag == "--listen") {
        return parseListen(value, options);
    }
    if (flag == "--database") {
        options.database = value;
    } else if (flag == "--trust-anchors") {
        options.trustAnchors = value;
    } else if (flag == "--publisher-token-file") {
        options.publisherTokenFile = value;
    } else if (flag == "--tls-cert") {
        options.tlsCert = value;
    } else if (flag == "--tls-key") {
        options.tlsKey = value;
    } else if (flag == "--threads") {
        const auto n = parseInteger<int>(value);
        if (!n || *n < 1 || *n > 1024) {
            return bad("--threads needs a number from 1 to 1024, got \"" + value + "\"");
        }
        options.threads = *n;
    } else if (flag == "--rate-client" || flag == "--rate-address") {
        const auto limit = parseRateLimit(value);
        if (!limit) {
            return bad(flag + " needs RATE/BURST with RATE > 0 and BURST >= 1 (e.g. 50/200), got \"" + value + "\"");
        }
        (flag == "--rate-client" ? options.rateClient : options.rateAddress) = *limit;
    } else if (flag == "--max-body") {
        const auto n = parseInteger<std::size_t>(value);
        if (!n || *n < 1024 || *n > std::numeric_limits<std::uint32_t>::max()) {
            return bad("--max-body needs a number of bytes of at least 1024, got \"" + value + "\"");
        }
        options.maxBody = *n;
    } else {
        return bad("unknown option " + flag + " (see --help)");
    }
    return base::Ok{};
}

} // namespace

base::Result<Options> parseOptions(const std::vector<std::string>& args) {
    Options options;
    bool listenGiven = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        if (flag == "--help" || flag == "-h") {
            options.help = true;
            continue;
        }
        if (flag == "--version") {
            options.version = true;
            continue;
        }
        if (flag == "--trust-forwarded-for") {
            options.trustForwardedFor = true;
            continue;
        }
        if (flag == "--log-addresses") {
            options.logAddresses = true;
            continue;
        }
        std::string value;
        if (const std::size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        } else if (!flag.starts_with("--")) {
            return bad("unexpected argument \"" + flag + "\" (see --help)");
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return bad(flag + " needs a value (see --help)");
        }
        if (auto applied = applyValue(flag, value, options); !applied) {
            return applied.error();
        }
        listenGiven = listenGiven || flag == "--listen";
    }
    if (!listenGiven && !options.help && !options.version) {
        return bad("--listen ADDR:PORT is required (see --help)");
    }
    if (options.tlsCert.empty() != options.tlsKey.empty()) {
        return bad("--tls-cert and --tls-key go together");
    }
    return options;
}

} // namespace sealpost::keydir::app
