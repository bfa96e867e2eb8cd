#include "ca/acme/AcmeFormat.h"

#include "crypto/Jose.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace sealpost::ca::acme::detail {
namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxDomain = 253;
constexpr std::size_t kMaxLabel = 63;

bool isAtext(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool isLdh(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool validLocalPart(std::string_view local) noexcept {
    if (local.empty() || local.size() > kMaxLocalPart || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos) {
        return false;
    }
    for (const char c : local) {
        if (c != '.' && !isAtext(c)) {
            return false;
        }
    }
    return true;
}

bool validDomain(std::string_view domain) noexcept {
    if (domain.empty() || domain.size() > kMaxDomain) {
        return false;
    }
    std::size_t labels = 0;
    while (true) {
        const auto dot = domain.find('.');
        const std::string_view label = domain.substr(0, dot);
        if (label.empty() || label.size() > kMaxLabel || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (const char c : label) {
            if (!isLdh(c)) {
                return false;
            }
        }
        ++labels;
        if (dot == std::string_view::npos) {
            break;
        }
        domain.remove_prefix(dot + 1);
    }
    return labels >= 2;
}

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

std::int64_t toUnixSeconds(base::TimePoint time) noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::string rfc3339(std::int64_t unixSeconds) {
    const auto seconds = static_cast<std::time_t>(unixSeconds);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    std::array<char, 32> text{};
    const auto size = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
    return {text.data(), size};
}

bool isValidEmail(std::string_view address) noexcept {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) {
        return false;
    }
    return validLocalPart(address.substr(0, at)) && validDomain(address.substr(at + 1));
}

std::string normaliseEmail(std::string_view address) {
    const auto at = address.rfind('@');
    std::string out(address);
    if (at != std::string_view::npos) {
        for (std::size_t i = at + 1; i < out.size(); ++i) {
            out[i] = lower(out[i]);
        }
    }
    return out;
}

std::string lowerCase(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = lower(c);
    }
    return out;
}

bool sameMailbox(std::string_view a, std::string_view b) noexcept {
    const auto atA = a.rfind('@');
    const auto atB = b.rfind('@');
    if (atA == std::string_view::npos || atB == std::string_view::npos || a.substr(0, atA) != b.substr(0, atB)) {
        return false;
    }
    const std::string_view domainA = a.substr(atA + 1);
    const std::string_view domainB = b.substr(atB + 1);
    if (domainA.size() != domainB.size()) {
        return false;
    }
    for (std::size_t i = 0; i < domainA.size(); ++i) {
        if (lower(domainA[i]) != lower(domainB[i])) {
            return false;
        }
    }
    return true;
}

std::string_view addrSpecOf(std::string_view mailbox) noexcept {
    const auto open = mailbox.rfind('<');
    if (open != std::string_view::npos) {
        const auto close = mailbox.find('>', open);
        if (close != std::string_view::npos) {
            mailbox = mailbox.substr(open + 1, close - open - 1);
        }
    }
    const auto first = mailbox.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = mailbox.find_last_not_of(" \t\r\n");
    return mailbox.substr(first, last - first + 1);
}

std::string_view domainOf(std::string_view address) noexcept {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

base::Result<std::string> randomToken(std::size_t bytes) {
    base::Bytes buffer(bytes);
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
        return base::makeError(base::ErrorCode::CryptoFailure, "RAND_bytes failed");
    }
    return crypto::base64UrlEncode(buffer);
}

namespace {
std::array<unsigned char, 32> sha256(std::string_view data) {
    std::array<unsigned char, 32> digest{};
    unsigned int size = 0;
    (void)EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return digest;
}
} // namespace

std::string sha256Base64Url(std::string_view text) {
    const auto digest = sha256(text);
    return crypto::base64UrlEncode(base::ByteView(digest.data(), digest.size()));
}

std::string sha256Hex(std::string_view data) {
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    for (const unsigned char byte : sha256(data)) {
        out += hex[byte >> 4U];
        out += hex[byte & 0x0fU];
    }
    return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
    // The length of the expected response is public (a SHA-256 in base64url).
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace sealpost::ca::acme::detail
