#include "ca/issue/Authority.h"

#include "base/SecureBuffer.h"
#include "ca/issue/CertificateBuilder.h"
#include "ca/issue/KeyFile.h"
#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"
#include "crypto/PublicKey.h"

#include <algorithm>
#include <array>
#include <sys/stat.h>
#include <tuple>
#include <vector>

namespace sealpost::ca {

namespace {

using base::ErrorCode;
namespace fs = std::filesystem;

constexpr unsigned kKeyMode = 0600;
constexpr unsigned kCertificateMode = 0644;
constexpr std::size_t kMaxAddress = 254;

struct KeyAndCertificate {
    crypto::PrivateKey key;
    crypto::Certificate certificate;
};

bool plausibleAddress(std::string_view address) {
    const auto at = address.find('@');
    if (address.size() > kMaxAddress || at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
        address.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    return std::all_of(address.begin(), address.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

base::Result<void> checkInitOptions(const AuthorityInitOptions& options) {
    if (!plausibleAddress(options.mailFrom)) {
        return base::Error{ErrorCode::InvalidArgument, "init: mail_from is not an email address: " + options.mailFrom};
    }
    if (options.caKey != crypto::KeySpec::P384 && options.caKey != crypto::KeySpec::Rsa4096) {
        return base::Error{ErrorCode::InvalidArgument, "init: the CA key must be p384 or rsa4096"};
    }
    if (options.name.empty() || options.name.size() > 40) {
        return base::Error{ErrorCode::InvalidArgument, "init: the CA name must have 1 to 40 characters"};
    }
    if (options.now == base::TimePoint{}) {
        return base::Error{ErrorCode::InvalidArgument, "init: no current time given"};
    }
    const auto zero = std::chrono::seconds::zero();
    if (options.mailSignerLifetime <= zero || options.intermediateLifetime < options.mailSignerLifetime ||
        options.rootLifetime < options.intermediateLifetime) {
        return base::Error{ErrorCode::InvalidArgument,
                           "init: lifetimes must be positive and nest (mail signer <= intermediate <= root)"};
    }
    return {};
}

base::Result<KeyAndCertificate> makeCertificate(crypto::KeySpec spec, const CertificateProfile& profile,
                                                const KeyAndCertificate* issuer) {
    auto key = crypto::generateKey(spec);
    if (!key) {
        return key.error();
    }
    const CertificateSigner signer =
        issuer != nullptr ? CertificateSigner{issuer->key, &issuer->certificate} : CertificateSigner{*key, nullptr};
    auto cert = buildCertificate(crypto::PublicKey::of(*key), profile, signer);
    if (!cert) {
        return cert.error();
    }
    return KeyAndCertificate{std::move(*key), std::move(*cert)};
}

CertificateProfile caProfile(const AuthorityInitOptions& options, const std::string& role,
                             std::chrono::seconds lifetime, std::optional<int> pathLength) {
    CertificateProfile profile;
    profile.organization = options.name;
    profile.commonName = options.name + " " + role;
    profile.isCa = true;
    profile.pathLength = pathLength;
    profile.keyUsage = KeyUsage::KeyCertSign | KeyUsage::CrlSign;
    profile.notBefore = options.now - std::chrono::hours(1);
    profile.notAfter = options.now + lifetime;
    return profile;
}

CertificateProfile mailProfile(const AuthorityInitOptions& options) {
    CertificateProfile profile;
    if (options.mailFrom.size() <= 64) {
        profile.commonName = options.mailFrom;
    }
    profile.emails = {options.mailFrom};
    profile.keyUsage = KeyUsage::DigitalSignature;
    profile.emailProtection = true;
    profile.notBefore = options.now - std::chrono::hours(1);
    profile.notAfter = options.now + options.mailSignerLifetime;
    return profile;
}

struct FileToWrite {
    std::string_view name;
    std::string content;
    unsigned mode;
};

// All or nothing: on a failure the files this call created are removed again.
base::Result<void> writeAll(const fs::path& dir, const std::vector<FileToWrite>& files) {
    std::vector<fs::path> written;
    for (const FileToWrite& file : files) {
        auto result = writeNewFile(dir / file.name, file.content, file.mode);
        if (!result) {
            for (const fs::path& path : written) {
                std::error_code ignored;
                fs::remove(path, ignored);
            }
            return result.error();
        }
        written.push_back(dir / file.name);
    }
    return {};
}

base::Result<void> prepareDirectory(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        if (!fs::create_directories(dir, ec) || ::chmod(dir.c_str(), 0700) != 0) {
            return base::Error{ErrorCode::Io, "init: cannot create " + dir.string() + ": " + ec.message()};
        }
        return {};
    }
    if (!fs::is_directory(dir, ec)) {
        return base::Error{ErrorCode::InvalidArgument, "init: " + dir.string() + " is not a directory"};
    }
    for (const std::string_view name :
         {Authority::rootCertificateFile, Authority::rootKeyFile, Authority::intermediateCertificateFile,
          Authority::intermediateKeyFile, Authority::mailCertificateFile, Authority::mailKeyFile}) {
        if (fs::exists(fs::symlink_status(dir / name, ec))) {
            return base::Error{ErrorCode::InvalidArgument, "init: " + dir.string() + " already holds a CA (" +
                                                               std::string(name) + "); refusing to overwrite it"};
        }
    }
    return {};
}

base::Result<crypto::Certificate> readCertificate(const fs::path& dir, std::string_view name) {
    auto text = readWholeFile(dir / name);
    if (!text) {
        return text.error();
    }
    auto certs = crypto::Certificate::parseAll(base::asBytes(*text));
    if (!certs || certs->size() != 1) {
        return base::Error{ErrorCode::MalformedInput, (dir / name).string() + " does not hold exactly one certificate"};
    }
    return certs->front();
}

base::Result<crypto::PrivateKey> readKey(const fs::path& dir, std::string_view name, std::string_view passphrase,
                                         const crypto::Certificate& certificate) {
    auto text = readWholeFile(dir / name);
    if (!text) {
        return text.error();
    }
    auto key = decryptKeyPem(*text, passphrase);
    base::secureWipe(text->data(), text->size());
    if (!key) {
        return base::Error{key.error().code, (dir / name).string() + ": " + key.error().detail};
    }
    if (auto matches = crypto::checkKeyMatchesCertificate(*key, certificate); !matches) {
        return base::Error{ErrorCode::InvalidArgument, (dir / name).string() + " is not the key of its certificate"};
    }
    return key;
}

bool signedBy(const crypto::Certificate& child, const crypto::Certificate& parent) {
    crypto::OsslPtr<EVP_PKEY> key(X509_get_pubkey(parent.native()));
    const bool ok = key && X509_verify(child.native(), key.get()) == 1;
    crypto::clearOpenSslErrors();
    return ok;
}

} // namespace

base::Result<Authority> Authority::init(const fs::path& dir, const AuthorityInitOptions& options,
                                        std::string_view passphrase) {
    if (auto checked = checkInitOptions(options); !checked) {
        return checked.error();
    }
    if (passphrase.empty()) {
        return base::Error{ErrorCode::InvalidArgument, "init: an empty passphrase would leave the CA keys unprotected"};
    }
    if (auto prepared = prepareDirectory(dir); !prepared) {
        return prepared.error();
    }
    auto root = makeCertificate(options.caKey, caProfile(options, "Root", options.rootLifetime, std::nullopt), nullptr);
    if (!root) {
        return root.error();
    }
    auto intermediate =
        makeCertificate(options.caKey, caProfile(options, "Intermediate", options.intermediateLifetime, 0), &*root);
    if (!intermediate) {
        return intermediate.error();
    }
    auto mail = makeCertificate(crypto::KeySpec::Rsa3072, mailProfile(options), &*intermediate);
    if (!mail) {
        return mail.error();
    }
    std::vector<FileToWrite> files;
    for (const auto& [certName, keyName, material] :
         std::array<std::tuple<std::string_view, std::string_view, const KeyAndCertificate*>, 3>{{
             {rootCertificateFile, rootKeyFile, &*root},
             {intermediateCertificateFile, intermediateKeyFile, &*intermediate},
             {mailCertificateFile, mailKeyFile, &*mail},
         }}) {
        auto pem = encryptKeyPem(material->key, passphrase);
        if (!pem) {
            return pem.error();
        }
        files.push_back({keyName, std::move(*pem), kKeyMode});
        files.push_back({certName, material->certificate.pem(), kCertificateMode});
    }
    if (auto written = writeAll(dir, files); !written) {
        return written.error();
    }
    auto issuer = CertificateIssuer::create({intermediate->key, intermediate->certificate, {}}, root->certificate,
                                            options.issuer);
    if (!issuer) {
        return issuer.error();
    }
    crypto::Identity mailSigner{mail->key, mail->certificate, {intermediate->certificate}};
    return Authority(root->certificate, std::move(mailSigner), std::move(*issuer));
}

base::Result<Authority> Authority::load(const fs::path& dir, std::string_view passphrase,
                                        const IssuerOptions& issuerOptions) {
    auto root = readCertificate(dir, rootCertificateFile);
    if (!root) {
        return root.error();
    }
    auto intermediate = readCertificate(dir, intermediateCertificateFile);
    if (!intermediate) {
        return intermediate.error();
    }
    auto mail = readCertificate(dir, mailCertificateFile);
    if (!mail) {
        return mail.error();
    }
    if (!root->isSelfIssued() || !signedBy(*root, *root) || !signedBy(*intermediate, *root) ||
        !signedBy(*mail, *intermediate)) {
        return base::Error{ErrorCode::InvalidArgument, "load: the certificates in " + dir.string() +
                                                           " do not chain (mail -> intermediate -> root)"};
    }
    // The root's key is only checked (right passphrase, right key), never kept.
    if (auto rootKey = readKey(dir, rootKeyFile, passphrase, *root); !rootKey) {
        return rootKey.error();
    }
    auto intermediateKey = readKey(dir, intermediateKeyFile, passphrase, *intermediate);
    if (!intermediateKey) {
        return intermediateKey.error();
    }
    auto mailKey = readKey(dir, mailKeyFile, passphrase, *mail);
    if (!mailKey) {
        return mailKey.error();
    }
    auto issuer = CertificateIssuer::create({*intermediateKey, *intermediate, {}}, *root, issuerOptions);
    if (!issuer) {
        return issuer.error();
    }
    crypto::Identity mailSigner{*mailKey, *mail, {*intermediate}};
    return Authority(*root, std::move(mailSigner), std::move(*issuer));
}

} // namespace sealpost::ca
