#pragma once
// Shared helpers for the Google Benchmark micro-benchmarks: the test PKI from tests/data (see its
// README), the fixed test clock, and generated messages of a given size. Not a test: nothing
// here asserts; a benchmark whose setup fails reports it with SkipWithError.

#include "base/ByteSink.h"
#include "base/Bytes.h"
#include "base/Clock.h"
#include "crypto/Certificate.h"
#include "crypto/Identity.h"
#include "crypto/PrivateKey.h"

#include <benchmark/benchmark.h>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::bench {

inline std::string readDataFile(std::string_view name) {
    const std::string path = std::string(SEALPOST_TEST_DATA_DIR) + "/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("missing test data file " + path);
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

inline crypto::Certificate loadCert(std::string_view name) {
    const std::string pem = readDataFile(name);
    auto certs = crypto::Certificate::parseAll(base::asBytes(pem));
    if (!certs || certs->empty()) {
        throw std::runtime_error("cannot parse certificate " + std::string(name));
    }
    return certs->front();
}

// "alice" -> alice.key.pem + alice.cert.pem, with the intermediate as the chain.
inline crypto::Identity loadIdentity(std::string_view who) {
    const std::string base(who);
    const std::string pem = readDataFile(base + ".key.pem");
    auto key = crypto::PrivateKey::parse(base::asBytes(pem));
    if (!key) {
        throw std::runtime_error("cannot parse key " + base + ": " + key.error().detail);
    }
    return crypto::Identity{*key, loadCert(base + ".cert.pem"), {loadCert("chain.pem")}};
}

// tests/data README: "now" = 2026-06-01T00:00:00Z.
inline base::TimePoint testNow() {
    return std::chrono::system_clock::from_time_t(1780272000);
}

// `size` bytes of printable ASCII in CRLF lines of at most 80 characters (a canonical
// text/plain body: nothing to re-encode).
inline std::string textBody(std::size_t size) {
    std::string out;
    out.reserve(size);
    char line[96];
    for (std::size_t i = 0; out.size() < size; ++i) {
        const int n = std::snprintf(
            line, sizeof line, "%08zu The quick brown fox jumps over the lazy dog; pack my box with five dozen\r\n", i);
        out.append(line, static_cast<std::size_t>(n));
    }
    out.resize(size);
    if (size >= 2) {
        out[size - 2] = '\r';
        out[size - 1] = '\n';
    }
    return out;
}

// An RFC 5322 text/plain message (CRLF) whose body is `bodySize` bytes.
inline std::string textMessage(std::size_t bodySize) {
    return "From: Alice Test <alice@example.org>\r\n"
           "To: Alice Test <alice@example.org>\r\n"
           "Subject: benchmark message\r\n"
           "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
           "Message-ID: <bench@sealpost.test>\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n"
           "Content-Transfer-Encoding: 7bit\r\n"
           "\r\n" +
           textBody(bodySize);
}

// Counts bytes and keeps nothing: measures a producer without the cost of storing its output.
class CountingSink final : public base::ByteSink {
public:
    [[nodiscard]] bool write(base::ByteView data) override {
        m_size += data.size();
        benchmark::DoNotOptimize(data.data());
        return true;
    }
    [[nodiscard]] std::size_t size() const { return m_size; }

private:
    std::size_t m_size = 0;
};

// 1 KiB and 1 MiB, the sizes docs/performance.md talks about.
inline void smallAndLarge(benchmark::internal::Benchmark* b) {
    b->Arg(1 << 10)->Arg(1 << 20);
}

// Alice's identity and the test root, shared by the benchmarks.
struct Pki {
    crypto::Identity alice;
    std::vector<crypto::Certificate> anchors;
};

// Loaded once; nullptr (with the reason in `error`) when tests/data is unusable.
inline const Pki* pki(std::string& error) {
    static std::string loadError;
    static const std::optional<Pki> loaded = []() -> std::optional<Pki> {
        try {
            return Pki{loadIdentity("alice"), {loadCert("root-ca.cert.pem")}};
        } catch (const std::exception& e) {
            loadError = e.what();
            return std::nullopt;
        }
    }();
    error = loadError;
    return loaded ? &*loaded : nullptr;
}

} // namespace sealpost::bench
