// Certificates: download (two chains and the issuer), revocation, renewal information (RFC 9773).
#include "ca/acme/AcmeFormat.h"
#include "ca/acme/AcmeServerImpl.h"
#include "crypto/Jose.h"

#include <openssl/x509.h>

namespace sealpost::ca::acme {
namespace {

constexpr std::string_view kPemChainType = "application/pem-certificate-chain";
constexpr std::int64_t kHour = 3600;
constexpr int kMaxReason = 10;
constexpr int kUnusedReason = 7; // RFC 5280: value 7 is not used

base::Result<std::string> pemOf(base::ByteView der) {
    auto parsed = crypto::Certificate::parseConcatenatedDer(der);
    if (!parsed) {
        return parsed.error();
    }
    std::string out;
    for (const crypto::Certificate& c : *parsed) {
        out += c.pem();
    }
    return out;
}

Problem problemOf(int status, std::string type, std::string detailText) {
    Problem p;
    p.status = status;
    p.type = std::move(type);
    p.detail = std::move(detailText);
    return p;
}

} // namespace

Checked<AcmeResponse> AcmeServer::Impl::certificate(const SignedRequest& request, std::string_view id, bool withRoot) {
    auto found = m_store.findCertificate(id);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return notFound();
    }
    const CertificateRecord& record = **found;
    if (record.accountId != request.account->id) {
        return unauthorized("this certificate belongs to another account");
    }
    AcmeResponse response;
    for (const base::Bytes* der = &record.leafDer; der != nullptr; der = nullptr) {
        auto pem = pemOf(*der);
        if (!pem) {
            return serverInternal(pem.error());
        }
        response.body += *pem;
    }
    for (const base::Bytes& der : record.chainDer) {
        auto pem = pemOf(der);
        if (!pem) {
            return serverInternal(pem.error());
        }
        response.body += *pem;
    }
    if (withRoot) {
        response.body += m_issuer.root().pem();
    }
    const std::string base = url("/acme/cert/" + record.id);
    addHeader(response, "Content-Type", std::string(kPemChainType));
    addHeader(response, "Link", "<" + base + "/issuer>;rel=\"up\"");
    addHeader(response, "Link", "<" + (withRoot ? base : base + "/1") + ">;rel=\"alternate\"");
    return response;
}

Checked<AcmeResponse> AcmeServer::Impl::issuerCertificate(std::string_view id) {
    auto found = m_store.findCertificate(id);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return notFound();
    }
    AcmeResponse response;
    addHeader(response, "Content-Type", std::string(kPemChainType));
    if ((*found)->chainDer.empty()) {
        response.body = m_issuer.root().pem();
        return response;
    }
    for (const base::Bytes& der : (*found)->chainDer) {
        auto pem = pemOf(der);
        if (!pem) {
            return serverInternal(pem.error());
        }
        response.body += *pem;
    }
    return response;
}

Checked<AcmeResponse> AcmeServer::Impl::revokeCertificate(const SignedRequest& request) {
    const auto certificateText = request.payload.find("certificate");
    if (request.postAsGet || certificateText == request.payload.end() || !certificateText->is_string()) {
        return malformed("revokeCert needs {certificate}");
    }
    int reason = 0;
    if (const auto given = request.payload.find("reason"); given != request.payload.end()) {
        if (!given->is_number_integer() || given->get<int>() < 0 || given->get<int>() > kMaxReason ||
            given->get<int>() == kUnusedReason) {
            return problemOf(400, "badRevocationReason", "not a revocation reason this CA accepts");
        }
        reason = given->get<int>();
    }
    auto der = crypto::base64UrlDecode(certificateText->get_ref<const std::string&>());
    if (!der) {
        return malformed("certificate is not base64url");
    }
    auto parsed = crypto::Certificate::parseConcatenatedDer(*der);
    if (!parsed || parsed->size() != 1) {
        return malformed("certificate is not one DER certificate");
    }
    const crypto::Certificate& certificate = parsed->front();
    auto found = m_store.findCertificateByFingerprint(certificate.sha256Fingerprint());
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return malformed("this CA did not issue that certificate", 404);
    }
    if (request.account) {
        if ((*found)->accountId != request.account->id) {
            return unauthorized("the certificate belongs to another account");
        }
    } else {
        const crypto::PublicKey certificateKey = crypto::PublicKey::adopt(X509_get_pubkey(certificate.native()));
        if (certificateKey.native() == nullptr || !certificateKey.sameAs(request.key)) {
            return unauthorized("the JWS is not signed by the certificate's key");
        }
    }
    auto revoked = m_store.revokeCertificate((*found)->id, reason, now());
    if (!revoked) {
        return serverInternal(revoked.error());
    }
    if (*revoked == RevokeOutcome::AlreadyRevoked) {
        return problemOf(400, "alreadyRevoked", "the certificate is already revoked");
    }
    return AcmeResponse{};
}

Checked<AcmeResponse> AcmeServer::Impl::renewalInfo(std::string_view certId) {
    auto found = m_store.findCertificateByCertId(certId);
    if (!found) {
        return serverInternal(found.error());
    }
    if (!found->has_value()) {
        return malformed("no certificate with this CertID", 404);
    }
    const CertificateRecord& record = **found;
    std::int64_t start = 0;
    std::int64_t end = 0;
    if (record.revokedAt) {
        // In the past: renew now.
        end = now() - kHour;
        start = end - kHour;
    } else {
        // The middle sixth of the last third of the lifetime (docs/acme.md: without ARI, clients
        // renew when a third remains).
        const std::int64_t lifetime = record.notAfter - record.notBefore;
        start = record.notAfter - lifetime / 3;
        end = record.notAfter - lifetime / 6;
    }
    AcmeResponse response =
        jsonResponse(200, {{"suggestedWindow", {{"start", detail::rfc3339(start)}, {"end", detail::rfc3339(end)}}}});
    addHeader(response, "Retry-After", std::to_string(m_config.renewalInfoRetryAfter.count()));
    return response;
}

} // namespace sealpost::ca::acme
