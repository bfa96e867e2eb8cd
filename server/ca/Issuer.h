#pragma once

#include "base/Bytes.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"

#include <optional>
#include <string>
#include <vector>

namespace sealpost::ca {

// What the ACME server asks of the certificate authority at finalize (docs/acme.md, "Issuance").
struct IssueRequest {
    base::ByteView csrDer;
    std::vector<std::string> emails; // the order's identifiers, lower-cased
    base::Bytes accountKeySpki;      // DER SubjectPublicKeyInfo of the account key: the CSR must not reuse it
    base::TimePoint now;
};

struct IssuedCertificate {
    crypto::Certificate leaf;
    std::vector<crypto::Certificate> chain; // the issuers above the leaf, nearest first, root excluded
    std::string ariCertId;                  // crypto::ariCertId(leaf)
};

// Why a CSR was refused, so that the ACME server can pick the problem type.
enum class CsrProblem { BadCsr, BadPublicKey };

struct IssueError {
    CsrProblem problem;
    std::string detail; // shown to the ACME client
};

// Thread-safe: one instance serves every request.
class Issuer {
public:
    virtual ~Issuer() = default;
    // Issues or says why not. A base::Error (e.g. CryptoFailure) inside the result means the CA
    // itself failed (serverInternal); an IssueError means the request was wrong.
    struct Outcome {
        std::optional<IssuedCertificate> issued;
        std::optional<IssueError> refused;
    };
    [[nodiscard]] virtual base::Result<Outcome> issue(const IssueRequest& request) = 0;
    // The root, for the "up" link of the last chain certificate and for `sealpost-ca init`'s output.
    [[nodiscard]] virtual const crypto::Certificate& root() const = 0;
};

} // namespace sealpost::ca
