#include "keydir/Validation.h"

#include "crypto/CertificateChain.h"
#include "crypto/CertificateChecks.h"
#include "keydir/Address.h"
#include "keydir/TimeFormat.h"

#include <algorithm>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sealpost::keydir {
namespace {

Validation reject(RejectReason reason, std::string detail) {
    return Validation{std::nullopt, reason, std::move(detail)};
}

struct Parsed {
    std::vector<crypto::Certificate> certs; // the leaf first
    std::string error;
};

// In a certs-only bundle the order is not meaningful: the leaf is the one certificate that issued
// none of the others. Moves it to the front.
Parsed leafFirst(std::vector<crypto::Certificate> certs) {
    std::vector<std::size_t> leaves;
    for (std::size_t i = 0; i < certs.size(); ++i) {
        bool issuedAnother = false;
        for (std::size_t j = 0; j < certs.size() && !issuedAnother; ++j) {
            issuedAnother = i != j && !(certs[i] == certs[j]) &&
                            X509_check_issued(certs[i].native(), certs[j].native()) == X509_V_OK;
        }
        if (!issuedAnother) {
            leaves.push_back(i);
        }
    }
    if (leaves.size() != 1) {
        return {{},
                "the bundle has " + std::to_string(leaves.size()) +
                    " certificates that issued none of the others (exactly one leaf expected)"};
    }
    std::rotate(certs.begin(), certs.begin() + static_cast<std::ptrdiff_t>(leaves.front()),
                certs.begin() + static_cast<std::ptrdiff_t>(leaves.front()) + 1);
    return {std::move(certs), {}};
}

Parsed parse(const Submission& submission) {
    if (submission.data.empty()) {
        return {{}, "empty body"};
    }
    if (submission.format == SubmissionFormat::CertsOnly) {
        auto certs = crypto::parseCertificateBundle(submission.data);
        ERR_clear_error();
        if (!certs) {
            return {{}, certs.error().detail};
        }
        return leafFirst(std::move(certs).value());
    }
    const bool pem = base::asString(submission.data).find("-----BEGIN") != std::string_view::npos;
    if (submission.format == SubmissionFormat::Der && pem) {
        return {{}, "application/pkix-cert needs one DER certificate, not PEM"};
    }
    if (submission.format == SubmissionFormat::PemChain && !pem) {
        return {{}, "no PEM CERTIFICATE block found"};
    }
    auto certs = crypto::Certificate::parseAll(submission.data);
    ERR_clear_error();
    if (!certs) {
        return {{}, certs.error().detail};
    }
    return {std::move(certs).value(), {}};
}

bool isCa(const crypto::Certificate& cert) {
    return (X509_get_extension_flags(cert.native()) & EXFLAG_CA) != 0U;
}

std::string keyDescription(const crypto::Certificate& cert) {
    const EVP_PKEY* key = X509_get0_pubkey(cert.native()); // borrowed
    if (key == nullptr) {
        return "an unreadable public key";
    }
    const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    std::string out = std::string(name != nullptr ? name : "unknown") + " key";
    if ((X509_get_extension_flags(cert.native()) & EXFLAG_KUSAGE) != 0U) {
        const std::uint32_t usage = X509_get_key_usage(cert.native());
        out += (usage & KU_KEY_ENCIPHERMENT) != 0U ? ", keyEncipherment" : ", no keyEncipherment";
        out += (usage & KU_KEY_AGREEMENT) != 0U ? ", keyAgreement" : ", no keyAgreement";
    } else {
        out += ", no keyUsage extension";
    }
    return out;
}

std::vector<std::string> addressesOf(const crypto::Certificate& cert) {
    std::vector<std::string> out;
    for (const std::string& raw : cert.emailAddresses()) {
        if (auto address = normaliseAddress(raw); address && std::find(out.begin(), out.end(), *address) == out.end()) {
            out.push_back(std::move(*address));
        }
    }
    return out;
}

} // namespace

std::string_view rejectReasonName(RejectReason reason) noexcept {
    switch (reason) {
    case RejectReason::Malformed: return "malformed";
    case RejectReason::TooLarge: return "too-large";
    case RejectReason::CaCertificate: return "ca-certificate";
    case RejectReason::NoAddress: return "no-address";
    case RejectReason::WrongAddress: return "wrong-address";
    case RejectReason::NotYetValid: return "not-yet-valid";
    case RejectReason::Expired: return "expired";
    case RejectReason::Untrusted: return "untrusted";
    case RejectReason::WrongPurpose: return "wrong-purpose";
    case RejectReason::UnusableKey: return "unusable-key";
    }
    return "malformed";
}

Validation validateSubmission(const Submission& submission, std::span<const crypto::Certificate> anchors,
                              base::TimePoint now) {
    Parsed parsed = parse(submission);
    if (parsed.certs.empty()) {
        return reject(RejectReason::Malformed, parsed.error);
    }
    const crypto::Certificate& leaf = parsed.certs.front();
    std::vector<crypto::Certificate> chain(parsed.certs.begin() + 1, parsed.certs.end());
    const base::Bytes der = leaf.der();
    if (der.size() > maxCertificateBytes) {
        return reject(RejectReason::TooLarge, "the certificate has " + std::to_string(der.size()) + " bytes (at most " +
                                                  std::to_string(maxCertificateBytes) + ")");
    }
    if (chain.size() > maxChainCertificates) {
        return reject(RejectReason::TooLarge, "the chain has " + std::to_string(chain.size()) +
                                                  " certificates after the leaf (at most " +
                                                  std::to_string(maxChainCertificates) + ")");
    }
    if (isCa(leaf)) {
        return reject(RejectReason::CaCertificate, "basicConstraints cA is true: " + leaf.subject());
    }
    std::vector<std::string> addresses = addressesOf(leaf);
    if (addresses.empty()) {
        return reject(RejectReason::NoAddress, "no rfc822Name subjectAltName or emailAddress in " + leaf.subject());
    }
    if (submission.address && std::find(addresses.begin(), addresses.end(), *submission.address) == addresses.end()) {
        std::string named;
        for (const std::string& a : addresses) {
            named += (named.empty() ? "" : ", ") + a;
        }
        return reject(RejectReason::WrongAddress, "the certificate names " + named + ", not " + *submission.address);
    }
    if (now < leaf.notBefore()) {
        return reject(RejectReason::NotYetValid, "certificate not valid before " + formatTime(leaf.notBefore()));
    }
    if (!crypto::isValidAt(leaf, now)) {
        return reject(RejectReason::Expired, "certificate expired at " + formatTime(leaf.notAfter()));
    }
    const crypto::ChainCheck check = crypto::checkChain(leaf, chain, anchors, now, crypto::ChainPurpose::AnyLeaf);
    if (!check.valid) {
        return reject(RejectReason::Untrusted, check.detail.empty() ? "no chain to a trust anchor" : check.detail);
    }
    if (!crypto::allowsEmailProtection(leaf)) {
        return reject(RejectReason::WrongPurpose, "extendedKeyUsage without emailProtection");
    }
    if (!crypto::allowsEncryption(leaf)) {
        return reject(RejectReason::UnusableKey, "cannot encrypt to " + keyDescription(leaf));
    }
    AcceptedCert accepted{leaf, std::move(chain), {}, leaf.sha256Fingerprint()};
    accepted.addressHashes.reserve(addresses.size());
    for (const std::string& address : addresses) {
        accepted.addressHashes.push_back(addressHash(address));
    }
    return Validation{std::move(accepted), RejectReason::Malformed, {}};
}

} // namespace sealpost::keydir
