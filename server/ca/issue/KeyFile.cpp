#include "ca/issue/KeyFile.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sealpost::ca {

namespace {

using base::ErrorCode;

// OpenSSL's own `-scrypt` parameters: 16 MiB, well inside the 32 MiB its decoder allows.
constexpr std::uint64_t kScryptN = 1U << 14U;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;

constexpr std::string_view kEncryptedBegin = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

struct X509SigDeleter {
    void operator()(X509_SIG* p) const noexcept { X509_SIG_free(p); }
};
struct AlgorDeleter {
    void operator()(X509_ALGOR* p) const noexcept { X509_ALGOR_free(p); }
};

std::string errnoText() {
    return std::strerror(errno); // NOLINT(concurrency-mt-unsafe): only for a message
}

} // namespace

base::Result<std::string> encryptKeyPem(const crypto::PrivateKey& key, std::string_view passphrase) {
    if (passphrase.empty()) {
        return base::Error{ErrorCode::InvalidArgument, "an empty passphrase would leave the key unprotected"};
    }
    if (passphrase.size() > 1024) {
        return base::Error{ErrorCode::InvalidArgument, "the passphrase is longer than 1024 bytes"};
    }
    crypto::OsslPtr<PKCS8_PRIV_KEY_INFO> info(EVP_PKEY2PKCS8(key.native()));
    std::unique_ptr<X509_ALGOR, AlgorDeleter> pbe(
        PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, kScryptN, kScryptR, kScryptP));
    if (!info || !pbe) {
        return crypto::openSslError(ErrorCode::CryptoFailure, "cannot prepare the key encryption");
    }
    std::unique_ptr<X509_SIG, X509SigDeleter> encrypted(
        PKCS8_set0_pbe(passphrase.data(), static_cast<int>(passphrase.size()), info.get(), pbe.get()));
    if (!encrypted) {
        return crypto::openSslError(ErrorCode::CryptoFailure, "cannot encrypt the private key");
    }
    static_cast<void>(pbe.release()); // owned by `encrypted` now
    crypto::OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PKCS8(bio.get(), encrypted.get()) != 1) {
        return crypto::openSslError(ErrorCode::CryptoFailure, "cannot write the encrypted key");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

base::Result<crypto::PrivateKey> decryptKeyPem(std::string_view pem, std::string_view passphrase) {
    // One block, and the encrypted kind: PrivateKey::parse would read a plain key as well.
    const auto begin = pem.find("-----BEGIN ");
    if (begin == std::string_view::npos || pem.compare(begin, kEncryptedBegin.size(), kEncryptedBegin) != 0 ||
        pem.find("-----BEGIN ", begin + 1) != std::string_view::npos) {
        return base::Error{ErrorCode::InvalidArgument, "not one encrypted PKCS#8 private key (ENCRYPTED PRIVATE KEY)"};
    }
    return crypto::PrivateKey::parse(base::asBytes(pem), passphrase);
}

base::Result<void> writeNewFile(const std::filesystem::path& path, std::string_view content, unsigned mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        return base::Error{ErrorCode::Io, "cannot create " + path.string() + ": " + errnoText()};
    }
    bool ok = ::fchmod(fd, mode) == 0;
    std::size_t written = 0;
    while (ok && written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        written += ok ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    const std::string failure = ok ? std::string{} : errnoText();
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        return base::Error{ErrorCode::Io, "cannot write " + path.string() + ": " + failure};
    }
    return {};
}

base::Result<std::string> readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return base::Error{ErrorCode::Io, "cannot read " + path.string()};
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
        return base::Error{ErrorCode::Io, "cannot read " + path.string()};
    }
    return text;
}

} // namespace sealpost::ca
