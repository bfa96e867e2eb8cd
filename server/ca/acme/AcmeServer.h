#pragma once
// The ACME server of sealpost-ca (RFC 8555 with the RFC 8823 email-reply-00 challenge and RFC 9773
// renewal information), as a function from request to response; docs/acme.md is the contract.
//
// Certificate URLs. `POST /acme/cert/{id}` (POST-as-GET by the owning account) answers the leaf
// and the issuers above it, root excluded (what S/MIME peers need); `/acme/cert/{id}/1` is the
// alternate chain, the same plus the root at the end. Each carries `Link: rel="alternate"` to the
// other and `Link: rel="up"` to `/acme/cert/{id}/issuer`, which answers the leaf's issuer and the
// certificates above it (root excluded, or the root alone when the leaf's issuer is the root) to
// GET and to POST-as-GET by anyone: issuer certificates are public.

#include "base/Clock.h"
#include "base/Result.h"
#include "ca/ChallengeMail.h"
#include "ca/Issuer.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::ca::acme {

class AcmeStore;

// A parsed HTTP request, borrowed from the transport for the duration of handle().
struct AcmeRequest {
    std::string_view method;
    std::string_view target; // origin-form: path and query
    std::optional<std::string_view> contentType;
    std::string_view body;
    bool bodyTooLarge = false; // the transport did not read a body over its limit: 413
};

struct AcmeResponse {
    int status = 200;
    // In order; Link may occur several times. Content-Type is among them when there is a body.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first header of that name (case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
    // Every header of that name, in order.
    [[nodiscard]] std::vector<std::string_view> headerValues(std::string_view name) const;
};

struct AcmeServerConfig {
    std::string externalUrl;       // e.g. "https://ca.example", no trailing slash
    std::string challengeFrom;     // the challenge mails' From address, e.g. "acme@ca.example"
    std::string termsOfServiceUrl; // empty: externalUrl + "/terms"
    std::string termsText = "Certificates are issued for email addresses whose owner answered the challenge mail.\n";
    std::string website; // directory meta "website"; empty: left out
    std::chrono::seconds orderLifetime{std::chrono::hours(24 * 7)};
    std::chrono::seconds challengeLifetime{std::chrono::hours(24)};
    std::chrono::seconds nonceLifetime{std::chrono::hours(1)};
    std::size_t maxNonces = std::size_t{1} << 16;
    int newOrdersPerAccountPerHour = 30;
    int newOrdersPerAddressPerHour = 5;
    std::size_t maxIdentifiersPerOrder = 10;
    std::size_t maxBody = std::size_t{64} * 1024;
    std::chrono::seconds renewalInfoRetryAfter{std::chrono::hours(6)};
    bool requireDkim = false; // the operator's choice (require_dkim)
};

// Called after each issuance, outside any lock (e.g. to publish to the key directory). Must not
// throw; its failure is its own business (it never undoes the issuance).
using IssuedHook = std::function<void(const IssuedCertificate&)>;

// Thread-safe: one instance serves every connection and the mailbox reader. Storage errors and
// failures of the issuer or mailer become serverInternal problems; nothing here throws.
class AcmeServer final : public ReplySink {
public:
    AcmeServer(AcmeServerConfig config, AcmeStore& store, Issuer& issuer, ChallengeMailer& mailer,
               const base::Clock& clock, IssuedHook onIssued = {});
    ~AcmeServer() override;
    AcmeServer(const AcmeServer&) = delete;
    AcmeServer& operator=(const AcmeServer&) = delete;
    AcmeServer(AcmeServer&&) = delete;
    AcmeServer& operator=(AcmeServer&&) = delete;

    [[nodiscard]] AcmeResponse handle(const AcmeRequest& request);

    // docs/acme.md, "The CA reads its mailbox". An error is a storage failure (the mail side
    // keeps the mail and retries).
    [[nodiscard]] base::Result<ReplyVerdict> acceptReply(const ChallengeReply& reply) override;

    [[nodiscard]] const AcmeServerConfig& config() const;

    class Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::ca::acme
