#include "ca/issue/CertificateIssuer.h"

#include "ca/issue/CertificateBuilder.h"
#include "crypto/AriCertId.h"
#include "crypto/Csr.h"
#include "crypto/KeyGen.h"
#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"
#include "crypto/PublicKey.h"

#include <algorithm>
#include <set>

namespace sealpost::ca {

namespace {

using base::ErrorCode;

constexpr std::size_t kMaxCommonName = 64;

std::string lowerAscii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

Issuer::Outcome refuse(CsrProblem problem, std::string detail) {
    return Issuer::Outcome{std::nullopt, IssueError{problem, std::move(detail)}};
}

bool isAccountKey(const crypto::PublicKey& key, const base::Bytes& accountKeySpki) {
    if (auto spki = key.spkiDer(); spki && *spki == accountKeySpki) {
        return true;
    }
    // The same key may be encoded differently (an EC point compressed in one, not the other).
    auto account = crypto::PublicKey::fromSpkiDer(accountKeySpki);
    return account && key.sameAs(*account);
}

// Why the CSR's names do not fit the order, or nullopt when they do.
std::optional<std::string> namesProblem(const crypto::ParsedCsr& csr, const std::set<std::string>& ordered) {
    if (!csr.names.dnsNames.empty()) {
        return "the CSR requests a DNS name; only email addresses are issued";
    }
    std::set<std::string> requested;
    for (const std::string& email : csr.names.emails) {
        requested.insert(lowerAscii(email));
    }
    if (requested != ordered) {
        return "the CSR's email addresses are not exactly the order's";
    }
    for (const std::string& email : csr.subjectEmails) {
        if (ordered.count(lowerAscii(email)) == 0) {
            return "the CSR's subject emailAddress is not one of the order's addresses";
        }
    }
    return std::nullopt;
}

CertificateProfile leafProfile(const std::vector<std::string>& emails, crypto::KeyType keyType,
                               const IssueRequest& request, std::chrono::seconds lifetime) {
    CertificateProfile profile;
    if (emails.front().size() <= kMaxCommonName) {
        profile.commonName = emails.front();
    }
    profile.emails = emails;
    profile.keyUsage = KeyUsage::DigitalSignature |
                       (keyType == crypto::KeyType::Rsa ? KeyUsage::KeyEncipherment : KeyUsage::KeyAgreement);
    profile.emailProtection = true;
    profile.notBefore = request.now - std::chrono::hours(1);
    profile.notAfter = request.now + lifetime;
    return profile;
}

} // namespace

base::Result<std::shared_ptr<CertificateIssuer>>
CertificateIssuer::create(crypto::Identity intermediate, crypto::Certificate root, const IssuerOptions& options) {
    if (options.lifetime <= std::chrono::seconds::zero()) {
        return base::Error{ErrorCode::InvalidArgument, "issuer: the certificate lifetime must be positive"};
    }
    if (auto matches = crypto::checkKeyMatchesCertificate(intermediate.key, intermediate.certificate); !matches) {
        return base::Error{ErrorCode::InvalidArgument, "issuer: the intermediate key is not its certificate's"};
    }
    crypto::OsslPtr<EVP_PKEY> rootKey(X509_get_pubkey(root.native()));
    if (!rootKey || X509_verify(intermediate.certificate.native(), rootKey.get()) != 1) {
        crypto::clearOpenSslErrors();
        return base::Error{ErrorCode::InvalidArgument, "issuer: the intermediate was not signed by the root"};
    }
    // NOLINTNEXTLINE(modernize-make-shared): the constructor is private
    return std::shared_ptr<CertificateIssuer>(new CertificateIssuer(std::move(intermediate), std::move(root), options));
}

base::Result<Issuer::Outcome> CertificateIssuer::issue(const IssueRequest& request) {
    if (request.emails.empty()) {
        return base::Error{ErrorCode::InvalidArgument, "issue: an order without addresses"};
    }
    auto csr = crypto::parseCsr(request.csrDer);
    if (!csr) {
        return refuse(CsrProblem::BadCsr, "unusable CSR: " + csr.error().detail);
    }
    if (!crypto::keySpecOf(csr->key)) {
        return refuse(CsrProblem::BadPublicKey, "the key must be RSA 2048, 3072 or 4096 bits, or EC P-256 or P-384");
    }
    if (isAccountKey(csr->key, request.accountKeySpki)) {
        return refuse(CsrProblem::BadCsr, "the CSR's key is the account key");
    }
    std::vector<std::string> emails;
    std::set<std::string> ordered;
    for (const std::string& email : request.emails) {
        if (ordered.insert(lowerAscii(email)).second) {
            emails.push_back(lowerAscii(email));
        }
    }
    if (auto problem = namesProblem(*csr, ordered)) {
        return refuse(CsrProblem::BadCsr, std::move(*problem));
    }
    const CertificateProfile profile = leafProfile(emails, csr->key.type(), request, m_options.lifetime);
    auto leaf = buildCertificate(csr->key, profile, {m_intermediate.key, &m_intermediate.certificate});
    if (!leaf) {
        return leaf.error();
    }
    auto certId = crypto::ariCertId(*leaf);
    if (!certId) {
        return certId.error();
    }
    IssuedCertificate issued{*leaf, {m_intermediate.certificate}, std::move(*certId)};
    return Outcome{std::move(issued), std::nullopt};
}

} // namespace sealpost::ca
