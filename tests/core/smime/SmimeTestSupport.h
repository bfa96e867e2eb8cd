#pragma once
// Shared fixtures for the S/MIME message tests: the test PKI from tests/data and its fixed clock.

#include "crypto/Certificate.h"
#include "crypto/Identity.h"
#include "crypto/PrivateKey.h"
#include "smime/MessageOpener.h"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::smime::test {

inline std::string dataPath(std::string_view name) {
    return std::string(SEALPOST_TEST_DATA_DIR) + "/" + std::string(name);
}

inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    in.seekg(0, std::ios::end);
    std::string data(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0, std::ios::beg);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    return data;
}

inline std::string readData(std::string_view name) {
    return readFile(dataPath(name));
}

// 2026-06-01T00:00:00Z, the clock every expectation in tests/data/README.md is written for.
inline base::TimePoint checkTime() {
    return std::chrono::system_clock::from_time_t(1780272000);
}
// The signingTime of the fixtures, a safe "now" for signing in round trips.
inline base::TimePoint signTime() {
    return std::chrono::system_clock::from_time_t(1768478400);
}

inline crypto::Certificate loadCertificate(std::string_view name) {
    auto certs = crypto::Certificate::parseAll(base::asBytes(readData(name)));
    if (!certs || certs->empty()) {
        throw std::runtime_error("cannot parse certificate " + std::string(name));
    }
    return certs->front();
}

// "alice", "bob", "carol", ...: key, certificate and the intermediate.
inline crypto::Identity loadIdentity(std::string_view who) {
    const std::string base(who);
    auto key = crypto::PrivateKey::parse(base::asBytes(readData(base + ".key.pem")));
    if (!key) {
        throw std::runtime_error("cannot parse key of " + base);
    }
    return crypto::Identity{*key, loadCertificate(base + ".cert.pem"), {loadCertificate("intermediate-ca.cert.pem")}};
}

// Owns what OpenOptions only points at.
struct OpenContext {
    std::vector<crypto::Identity> identities;
    std::vector<crypto::Certificate> anchors{loadCertificate("root-ca.cert.pem")};

    explicit OpenContext(const std::vector<std::string>& keys = {}) {
        for (const auto& k : keys) {
            identities.push_back(loadIdentity(k));
        }
    }
    [[nodiscard]] OpenOptions options() const {
        OpenOptions o;
        o.identities = identities;
        o.trustAnchors = anchors;
        o.at = checkTime();
        return o;
    }
    [[nodiscard]] base::Result<OpenedMessage> open(std::string_view message) const {
        return openMessage(message, options());
    }
};

inline bool hasWarning(const OpenReport& r, OpenWarning w) {
    for (OpenWarning x : r.warnings) {
        if (x == w) {
            return true;
        }
    }
    return false;
}

inline std::string warningList(const OpenReport& r) {
    std::string out;
    for (OpenWarning w : r.warnings) {
        out += std::string(warningName(w)) + " ";
    }
    return out;
}

} // namespace sealpost::smime::test
