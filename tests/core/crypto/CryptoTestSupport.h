#pragma once
// Shared helpers for the core/crypto tests: fixture loading (tests/data, see its README), the
// fixed test clock, and a minimal reader for the golden .eml files.

#include "base/ByteSink.h"
#include "base/Bytes.h"
#include "base/Clock.h"
#include "crypto/Certificate.h"
#include "crypto/CmsEncryptor.h"
#include "crypto/CmsSigner.h"
#include "crypto/Identity.h"
#include "crypto/PrivateKey.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::crypto::test {

inline std::string dataPath(std::string_view name) {
    return std::string(SEALPOST_TEST_DATA_DIR) + "/" + std::string(name);
}

inline std::string readFile(std::string_view name) {
    std::ifstream in(dataPath(name), std::ios::binary);
    if (!in) {
        throw std::runtime_error("missing fixture " + std::string(name));
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// README: "now" = 2026-06-01T00:00:00Z.
inline base::TimePoint checkTime() {
    return std::chrono::system_clock::from_time_t(1780272000);
}
// README: every fixture signature has signingTime 2026-01-15T12:00:00Z.
inline base::TimePoint fixtureSigningTime() {
    return std::chrono::system_clock::from_time_t(1768478400);
}

inline base::TimePoint utc(int year, unsigned month, unsigned day) {
    const std::chrono::sys_days d{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
    return std::chrono::time_point_cast<base::TimePoint::duration>(d);
}

inline Certificate loadCert(std::string_view name) {
    const std::string pem = readFile(name);
    auto certs = Certificate::parseAll(base::asBytes(pem));
    if (!certs || certs->empty()) {
        throw std::runtime_error("cannot parse certificate " + std::string(name));
    }
    return certs->front();
}

inline PrivateKey loadKey(std::string_view name) {
    const std::string pem = readFile(name);
    auto key = PrivateKey::parse(base::asBytes(pem));
    if (!key) {
        throw std::runtime_error("cannot parse key " + std::string(name) + ": " + key.error().detail);
    }
    return *key;
}

// "alice" -> alice.key.pem + alice.cert.pem, with the intermediate as chain (except for Dave).
inline Identity loadIdentity(std::string_view who) {
    const std::string base(who);
    Identity id{loadKey(base + ".key.pem"), loadCert(base + ".cert.pem"), {}};
    if (who != "dave-untrusted") {
        id.chain.push_back(loadCert("intermediate-ca.cert.pem"));
    }
    return id;
}

inline std::string drainErrors() {
    std::string out;
    for (unsigned long e = 0; (e = ERR_get_error()) != 0;) {
        out += ERR_error_string(e, nullptr);
        out += "; ";
    }
    return out;
}

inline base::ByteView bytes(const std::string& s) {
    return base::asBytes(s);
}

// A std::span<const ByteView> of one piece that owns its array.
struct OnePiece {
    explicit OnePiece(const std::string& s) : piece{base::asBytes(s)} {}
    std::array<base::ByteView, 1> piece;
    operator std::span<const base::ByteView>() const { return piece; }
};

class FailingSink final : public base::ByteSink {
public:
    [[nodiscard]] bool write(base::ByteView /*data*/) override { return false; }
};

inline std::string base64Decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+')
            return 62;
        if (c == '/')
            return 63;
        return -1;
    };
    std::string out;
    std::uint32_t acc = 0;
    int bitsHeld = 0;
    for (char c : in) {
        const int v = value(c);
        if (v < 0) {
            continue; // line breaks and '=' padding
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bitsHeld += 6;
        if (bitsHeld >= 8) {
            bitsHeld -= 8;
            out.push_back(static_cast<char>((acc >> bitsHeld) & 0xFF));
        }
    }
    return out;
}

// Body of a single-part entity (after the first blank line), base64-decoded.
inline std::string decodedBody(std::string_view entity) {
    const auto blank = entity.find("\r\n\r\n");
    if (blank == std::string_view::npos) {
        throw std::runtime_error("entity without a body");
    }
    return base64Decode(entity.substr(blank + 4));
}

// The DER inside an application/pkcs7-mime .eml.
inline std::string smimeDer(std::string_view emlName) {
    return decodedBody(readFile(emlName));
}

struct MultipartSigned {
    std::string signedPart; // exact bytes between the first delimiter's CRLF and the next delimiter
    std::string signature;  // DER
};

// Splits the top-level multipart/signed of a golden .eml (RFC 1847: the CRLF before a delimiter
// belongs to the delimiter).
inline MultipartSigned splitMultipartSigned(std::string_view eml) {
    const auto b = eml.find("boundary=\"");
    if (b == std::string_view::npos) {
        throw std::runtime_error("no boundary");
    }
    const auto bEnd = eml.find('"', b + 10);
    const std::string delimiter = "\r\n--" + std::string(eml.substr(b + 10, bEnd - b - 10));
    const auto first = eml.find(delimiter, bEnd);
    const auto partStart = first + delimiter.size() + 2;
    const auto second = eml.find(delimiter, partStart);
    const auto sigStart = second + delimiter.size() + 2;
    const auto third = eml.find(delimiter, sigStart);
    if (first == std::string_view::npos || second == std::string_view::npos || third == std::string_view::npos) {
        throw std::runtime_error("not a two-part multipart/signed");
    }
    return {std::string(eml.substr(partStart, second - partStart)),
            decodedBody(eml.substr(sigStart, third - sigStart))};
}

inline std::string signToString(const std::string& content, const Identity& id, SignOptions options) {
    std::string out;
    base::StringSink sink(out);
    auto r = signCms(OnePiece(content), id, options, sink);
    if (!r) {
        throw std::runtime_error("signCms failed: " + r.error().detail);
    }
    return out;
}

inline SignOptions defaultSignOptions(bool detached = true) {
    SignOptions o;
    o.detached = detached;
    o.signingTime = fixtureSigningTime();
    return o;
}

inline std::string encryptToString(const std::string& content, const std::vector<Certificate>& to,
                                   EncryptOptions options = {}) {
    std::string out;
    base::StringSink sink(out);
    auto r = encryptCms(OnePiece(content), to, options, sink);
    if (!r) {
        throw std::runtime_error("encryptCms failed: " + r.error().detail);
    }
    return out;
}

} // namespace sealpost::crypto::test
