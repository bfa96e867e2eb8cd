#pragma once

#include "base/Bytes.h"
#include "base/Clock.h"
#include "base/Result.h"

#include <memory>
#include <span>
#include <string>
#include <vector>

struct x509_st;

namespace sealpost::crypto {

// An immutable X.509 certificate (shared, cheap to copy).
class Certificate {
public:
    // Adopts a reference the caller owns (an X509* from X509_dup/*_get1_*).
    [[nodiscard]] static Certificate adopt(x509_st* cert);
    // Takes an extra reference to a borrowed X509*.
    [[nodiscard]] static Certificate share(x509_st* cert);

    // Every certificate in `data`: one or more PEM blocks, or a single DER certificate.
    [[nodiscard]] static base::Result<std::vector<Certificate>> parseAll(base::ByteView data);

    // Certificates written one after another in DER (how the profile stores chains).
    [[nodiscard]] static base::Result<std::vector<Certificate>> parseConcatenatedDer(base::ByteView data);

    [[nodiscard]] std::string subject() const; // RFC 2253 one-line form
    [[nodiscard]] std::string issuer() const;
    [[nodiscard]] std::string serialHex() const;
    // Addresses from rfc822Name subjectAltNames and the subject's emailAddress, ASCII lower-cased
    // as a whole (local part too), as the directory and the store compare them.
    [[nodiscard]] std::vector<std::string> emailAddresses() const;
    [[nodiscard]] bool hasEmailAddress(std::string_view address) const;
    [[nodiscard]] base::TimePoint notBefore() const;
    [[nodiscard]] base::TimePoint notAfter() const;
    [[nodiscard]] bool isSelfIssued() const;
    [[nodiscard]] base::Bytes der() const;
    [[nodiscard]] std::string pem() const;
    [[nodiscard]] std::string sha256Fingerprint() const; // lower-case hex, no separators

    [[nodiscard]] x509_st* native() const noexcept { return m_cert.get(); }
    friend bool operator==(const Certificate& a, const Certificate& b);

private:
    explicit Certificate(std::shared_ptr<x509_st> cert) : m_cert(std::move(cert)) {}
    std::shared_ptr<x509_st> m_cert;
};

// Certificates from a file as people exchange them: anything parseAll reads, or a PKCS#7/CMS
// certs-only SignedData (".p7c", ".p7b"; DER, or PEM "PKCS7"/"CMS"). MalformedInput when it
// holds no certificate.
[[nodiscard]] base::Result<std::vector<Certificate>> parseCertificateBundle(base::ByteView data);

// The inverse: a DER CMS SignedData without signers holding `certs` (an S/MIME certs-only
// bundle, RFC 8551 3.6). Their order is not kept: the field is a DER SET OF. InvalidArgument
// when `certs` is empty.
[[nodiscard]] base::Result<base::Bytes> makeCertificateBundle(std::span<const Certificate> certs);

} // namespace sealpost::crypto
