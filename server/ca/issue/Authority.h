#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "ca/issue/CertificateIssuer.h"
#include "crypto/Certificate.h"
#include "crypto/Identity.h"
#include "crypto/KeyGen.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sealpost::ca {

struct AuthorityInitOptions {
    std::string mailFrom;                          // the challenge mails' From: the mail-signing certificate's address
    std::string name = "Sealpost CA";              // O=<name>; CN=<name> Root, CN=<name> Intermediate
    crypto::KeySpec caKey = crypto::KeySpec::P384; // root and intermediate: P384 or Rsa4096
    std::chrono::seconds rootLifetime = std::chrono::hours(24 * 365 * 20);
    std::chrono::seconds intermediateLifetime = std::chrono::hours(24 * 365 * 10);
    std::chrono::seconds mailSignerLifetime = std::chrono::hours(24 * 365 * 3); // RSA-3072, for NSS and gpgsm
    base::TimePoint now;  // required: every certificate is valid from one hour before
    IssuerOptions issuer; // for the returned Authority's issuer
};

// The CA's key material: a root, an intermediate (pathlen 0) that issues end-entity certificates,
// and the certificate that signs challenge mails. On disk, in one directory, as PEM: the
// certificates (mode 0644) and their keys as encrypted PKCS#8 (scrypt, AES-256-CBC; mode 0600).
// The root's key is checked by load() but not kept in memory.
class Authority {
public:
    static constexpr std::string_view rootCertificateFile = "root-cert.pem";
    static constexpr std::string_view rootKeyFile = "root-key.pem";
    static constexpr std::string_view intermediateCertificateFile = "intermediate-cert.pem";
    static constexpr std::string_view intermediateKeyFile = "intermediate-key.pem";
    static constexpr std::string_view mailCertificateFile = "mail-cert.pem";
    static constexpr std::string_view mailKeyFile = "mail-key.pem";

    // Creates a new CA in `dir` (made with mode 0700 when absent). InvalidArgument when `dir`
    // already holds any of the CA's files (nothing is overwritten), for an empty passphrase, an
    // unusable mailFrom, a CA key other than P-384 or RSA-4096, or lifetimes that do not nest;
    // Io when a file cannot be written (those already written are removed again).
    [[nodiscard]] static base::Result<Authority> init(const std::filesystem::path& dir,
                                                      const AuthorityInitOptions& options, std::string_view passphrase);

    // Reads a CA made by init(). Io for a missing or unreadable file, WrongPassword when the
    // passphrase does not open a key, InvalidArgument for a key stored unencrypted, a key that is
    // not its certificate's, or certificates that do not chain (mail -> intermediate -> root).
    [[nodiscard]] static base::Result<Authority> load(const std::filesystem::path& dir, std::string_view passphrase,
                                                      const IssuerOptions& issuerOptions = {});

    [[nodiscard]] const crypto::Certificate& root() const noexcept { return m_root; }
    [[nodiscard]] const crypto::Certificate& intermediate() const noexcept { return m_issuer->intermediate(); }
    // Key, certificate and chain [intermediate]: signs the challenge mails.
    [[nodiscard]] const crypto::Identity& mailSigner() const noexcept { return m_mailSigner; }
    [[nodiscard]] std::shared_ptr<CertificateIssuer> issuer() const noexcept { return m_issuer; }

private:
    Authority(crypto::Certificate root, crypto::Identity mailSigner, std::shared_ptr<CertificateIssuer> issuer)
        : m_root(std::move(root)), m_mailSigner(std::move(mailSigner)), m_issuer(std::move(issuer)) {}

    crypto::Certificate m_root;
    crypto::Identity m_mailSigner;
    std::shared_ptr<CertificateIssuer> m_issuer;
};

} // namespace sealpost::ca
