#include "mail/Autoconfig.h"

#include "base/PercentEncode.h"
#include "mail/AutoconfigXml.h"
#include "mail/DiscoveryTransport.h"
#include "mail/SrvResolver.h"
#include "mime/Ascii.h"

#include <algorithm>
#include <array>
#include <future>

namespace sealpost::mail {

using base::ErrorCode;

std::string_view discoveryMethodName(DiscoveryMethod m) noexcept {
    switch (m) {
    case DiscoveryMethod::AutoconfigHost: return "autoconfig";
    case DiscoveryMethod::WellKnown: return "well-known";
    case DiscoveryMethod::IspDatabase: return "isp-database";
    case DiscoveryMethod::Srv: return "srv";
    case DiscoveryMethod::Guess: return "guess";
    }
    return "unknown";
}

std::string_view stepOutcomeName(StepOutcome o) noexcept {
    switch (o) {
    case StepOutcome::Found: return "found";
    case StepOutcome::NotFound: return "not-found";
    case StepOutcome::Failed: return "failed";
    }
    return "unknown";
}

namespace {

class Discovery {
public:
    Discovery(std::string address, std::string domain, const DiscoveryOptions& options)
        : m_address(std::move(address)), m_domain(std::move(domain)), m_options(options) {}

    base::Result<DiscoveryResult> run() {
        const std::array<std::pair<DiscoveryMethod, std::string>, 3> documents{{
            {DiscoveryMethod::AutoconfigHost, "https://autoconfig." + m_domain + "/mail/config-v1.1.xml?emailaddress=" +
                                                  base::percentEncode(m_address, "-._~")},
            {DiscoveryMethod::WellKnown, "https://" + m_domain + "/.well-known/autoconfig/mail/config-v1.1.xml"},
            {DiscoveryMethod::IspDatabase,
             m_options.ispDatabaseUrl.empty() ? std::string{} : m_options.ispDatabaseUrl + m_domain},
        }};
        for (const auto& [method, url] : documents) {
            if (url.empty()) {
                continue;
            }
            if (cancelled()) {
                return base::makeError(ErrorCode::Cancelled, "cancelled");
            }
            document(method, url);
            if (complete()) {
                return std::move(m_result);
            }
        }
        if (auto srv = srvRecords(); !srv) {
            return srv.error();
        }
        if (complete()) {
            return std::move(m_result);
        }
        if (cancelled()) {
            return base::makeError(ErrorCode::Cancelled, "cancelled");
        }
        guesses();
        if (cancelled()) {
            return base::makeError(ErrorCode::Cancelled, "cancelled");
        }
        return std::move(m_result);
    }

private:
    [[nodiscard]] bool cancelled() const { return m_options.cancel != nullptr && m_options.cancel->load(); }
    [[nodiscard]] bool complete() const { return m_result.imap && m_result.smtp; }

    void report(DiscoveryStep step) {
        if (m_options.progress) {
            m_options.progress(step);
        }
        m_result.steps.push_back(std::move(step));
    }

    [[nodiscard]] base::Result<std::string> fetch(const std::string& url) const {
        if (m_options.fetch) {
            return m_options.fetch(url);
        }
        detail::FetchOptions f;
        f.connectTo = m_options.connectTo;
        f.caFile = m_options.caFile;
        f.allowHttpForLoopback = m_options.allowHttpForLoopback;
        f.timeout = m_options.httpTimeout;
        f.connectTimeout = m_options.connectTimeout;
        f.cancel = m_options.cancel;
        return detail::fetchHttps(url, f);
    }

    void document(DiscoveryMethod method, const std::string& url) {
        DiscoveryStep step{method, url, StepOutcome::NotFound, std::nullopt};
        auto body = fetch(url);
        if (!body) {
            step.outcome = body.error().code == ErrorCode::NotFound ? StepOutcome::NotFound : StepOutcome::Failed;
            step.error = body.error();
            report(std::move(step));
            return;
        }
        auto servers = parseAutoconfigXml(*body, m_address);
        if (!servers) {
            step.outcome = StepOutcome::Failed;
            step.error = servers.error();
        } else if (!servers->imap && !servers->smtp) {
            step.error = base::Error{ErrorCode::NotFound, "no usable IMAP or SMTP server in the document"};
        } else {
            step.outcome = StepOutcome::Found;
            take(servers->imap, servers->smtp);
        }
        report(std::move(step));
    }

    void take(const std::optional<ServerSettings>& imap, const std::optional<ServerSettings>& smtp) {
        if (!m_result.imap && imap) {
            m_result.imap = imap;
        }
        if (!m_result.smtp && smtp) {
            m_result.smtp = smtp;
        }
    }

    // RFC 8314 (implicit TLS) names before RFC 6186 (STARTTLS) ones, for what is still missing.
    base::Result<void> srvRecords() {
        SystemSrvResolver system(m_options.dnsServer);
        SrvResolver& resolver = m_options.srvResolver != nullptr ? *m_options.srvResolver : system;
        struct Service {
            const char* prefix;
            bool imap;
            Security security;
        };
        static constexpr std::array<Service, 4> kServices{{
            {"_imaps._tcp.", true, Security::ImplicitTls},
            {"_imap._tcp.", true, Security::StartTls},
            {"_submissions._tcp.", false, Security::ImplicitTls},
            {"_submission._tcp.", false, Security::StartTls},
        }};
        for (const auto& service : kServices) {
            if ((service.imap && m_result.imap) || (!service.imap && m_result.smtp)) {
                continue;
            }
            if (cancelled()) {
                return base::makeError(ErrorCode::Cancelled, "cancelled");
            }
            const std::string name = service.prefix + m_domain;
            DiscoveryStep step{DiscoveryMethod::Srv, name, StepOutcome::NotFound, std::nullopt};
            auto records = resolver.lookup(name);
            if (!records) {
                step.outcome =
                    records.error().code == ErrorCode::NotFound ? StepOutcome::NotFound : StepOutcome::Failed;
                step.error = records.error();
            } else {
                // The most preferred usable record: lowest priority, then highest weight (RFC 2782).
                std::stable_sort(records->begin(), records->end(), [](const SrvRecord& a, const SrvRecord& b) {
                    return a.priority != b.priority ? a.priority < b.priority : a.weight > b.weight;
                });
                const auto usable = std::find_if(records->begin(), records->end(),
                                                 [](const SrvRecord& r) { return !r.target.empty() && r.port != 0; });
                if (usable == records->end()) {
                    step.error = base::Error{ErrorCode::NotFound, name + ": service not offered"};
                } else {
                    ServerSettings s;
                    s.host = usable->target;
                    s.port = usable->port;
                    s.security = service.security;
                    s.username = m_address;
                    step.outcome = StepOutcome::Found;
                    step.tried += " -> " + s.host + ":" + std::to_string(s.port);
                    take(service.imap ? std::optional(s) : std::nullopt,
                         service.imap ? std::nullopt : std::optional(s));
                }
            }
            report(std::move(step));
        }
        return base::Ok{};
    }

    struct Candidate {
        std::string scheme; // "imap" | "smtp"
        ServerSettings server;
    };

    [[nodiscard]] std::vector<Candidate> candidates() const {
        std::vector<Candidate> out;
        const auto add = [&](const char* scheme, const std::array<const char*, 3>& prefixes, int tlsPort,
                             int startTlsPort) {
            // Implicit TLS on every host before STARTTLS on any: the order of preference.
            for (const auto& [port, security] :
                 {std::pair{tlsPort, Security::ImplicitTls}, std::pair{startTlsPort, Security::StartTls}}) {
                for (const char* prefix : prefixes) {
                    ServerSettings s;
                    s.host = std::string(prefix) + m_domain;
                    s.port = port;
                    s.security = security;
                    s.username = m_address;
                    s.caFile = m_options.caFile;
                    s.connectTimeout = m_options.connectTimeout;
                    out.push_back({scheme, s});
                }
            }
        };
        if (!m_result.imap) {
            add("imap", {"imap.", "mail.", ""}, 993, 143);
        }
        if (!m_result.smtp) {
            add("smtp", {"smtp.", "mail.", ""}, 465, 587);
        }
        return out;
    }

    // All candidates are tried at once; the most preferred one that answered wins.
    void guesses() {
        const auto list = candidates();
        std::vector<std::future<base::Result<void>>> pending;
        pending.reserve(list.size());
        for (const auto& c : list) {
            pending.push_back(std::async(std::launch::async, [this, &c]() -> base::Result<void> {
                if (m_options.probe) {
                    return m_options.probe(c.server, c.scheme);
                }
                return detail::probeServer(c.server, c.scheme, m_options.connectTo);
            }));
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& c = list[i];
            auto probed = pending[i].get();
            DiscoveryStep step{DiscoveryMethod::Guess,
                               c.scheme + " " + c.server.host + ":" + std::to_string(c.server.port) + " (" +
                                   std::string(securityName(c.server.security)) + ")",
                               StepOutcome::Found, std::nullopt};
            if (!probed) {
                step.outcome = StepOutcome::Failed;
                step.error = probed.error();
            } else {
                ServerSettings found = c.server;
                found.caFile.clear();
                found.connectTimeout = ServerSettings{}.connectTimeout;
                take(c.scheme == "imap" ? std::optional(found) : std::nullopt,
                     c.scheme == "smtp" ? std::optional(found) : std::nullopt);
            }
            report(std::move(step));
        }
    }

    std::string m_address;
    std::string m_domain;
    const DiscoveryOptions& m_options;
    DiscoveryResult m_result;
};

} // namespace

base::Result<DiscoveryResult> discover(std::string_view address, const DiscoveryOptions& options) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) {
        return base::makeError(ErrorCode::InvalidArgument, "not an e-mail address: " + std::string(address));
    }
    std::string domain = mime::toLowerAscii(address.substr(at + 1));
    if (domain.find_first_of("/?#@:% ") != std::string::npos) {
        return base::makeError(ErrorCode::InvalidArgument, "not an e-mail domain: " + domain);
    }
    return Discovery(std::string(address), std::move(domain), options).run();
}

} // namespace sealpost::mail
