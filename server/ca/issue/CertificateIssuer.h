#pragma once

#include "ca/Issuer.h"
#include "crypto/Certificate.h"
#include "crypto/Identity.h"

#include <chrono>
#include <memory>

namespace sealpost::ca {

struct IssuerOptions {
    std::chrono::seconds lifetime = std::chrono::hours(24 * 90); // notAfter = now + lifetime
};

// Issues end-entity S/MIME certificates from the intermediate, as docs/acme.md ("Issuance") says:
// subject CN=<first address> (empty, with a critical subjectAltName, when the address is longer
// than 64 characters), rfc822Name SAN = the order's addresses, EKU emailProtection, key usage by
// key type (critical), basicConstraints CA:FALSE (critical), AKI/SKI, a 128-bit random serial,
// valid from one hour before `request.now` for `lifetime`, signed with SHA-256 (SHA-384 by a P-384
// intermediate). Refusals: badPublicKey for a key other than RSA 2048/3072/4096, P-256, P-384;
// badCSR for an unreadable CSR or bad self-signature, the account key, rfc822Names (compared
// lower-cased, as sets) other than the order's, any dNSName or other name kind, or a subject
// emailAddress outside the order. Thread-safe: it holds only immutable state.
class CertificateIssuer final : public Issuer {
public:
    // `intermediate` signs (its chain is ignored); `root` is what it chains to. InvalidArgument
    // when the key is not the certificate's, the intermediate was not issued by the root, or the
    // lifetime is not positive.
    [[nodiscard]] static base::Result<std::shared_ptr<CertificateIssuer>>
    create(crypto::Identity intermediate, crypto::Certificate root, const IssuerOptions& options = {});

    [[nodiscard]] base::Result<Outcome> issue(const IssueRequest& request) override;
    [[nodiscard]] const crypto::Certificate& root() const override { return m_root; }
    [[nodiscard]] const crypto::Certificate& intermediate() const { return m_intermediate.certificate; }

private:
    CertificateIssuer(crypto::Identity intermediate, crypto::Certificate root, const IssuerOptions& options)
        : m_intermediate(std::move(intermediate)), m_root(std::move(root)), m_options(options) {}

    crypto::Identity m_intermediate;
    crypto::Certificate m_root;
    IssuerOptions m_options;
};

} // namespace sealpost::ca
