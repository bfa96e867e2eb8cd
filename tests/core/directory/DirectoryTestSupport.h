#pragma once
// Shared by the directory client tests: fixture certificates and a local HTTP stand-in for the
// directory (directory-stub.py) that answers whatever the test tells it to.

#include "../store/StoreTestSupport.h"
#include "crypto/Certificate.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace sealpost::directory::test {

using store::test::TempDir;

// The fixtures' "now" (tests/data/README.md).
inline const base::TimePoint kTestNow = std::chrono::system_clock::from_time_t(1780272000);

inline std::string dataFile(const std::string& name) {
    return store::test::readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
}

inline crypto::Certificate fixtureCert(const std::string& name) {
    auto certs = crypto::Certificate::parseAll(base::asBytes(dataFile(name)));
    EXPECT_TRUE(certs.ok()) << name;
    return certs->front();
}

// One certificate entry as the directory lists it.
inline nlohmann::json certEntry(const crypto::Certificate& cert, const std::vector<crypto::Certificate>& chain,
                                const std::string& provenance = "enrolled") {
    nlohmann::json pems = nlohmann::json::array();
    for (const auto& c : chain) {
        pems.push_back(c.pem());
    }
    return {{"fingerprint_sha256", cert.sha256Fingerprint()},
            {"certificate", cert.pem()},
            {"chain", pems},
            {"not_before", "2025-01-01T00:00:00Z"},
            {"not_after", "2035-01-01T00:00:00Z"},
            {"provenance", provenance},
            {"first_published", "2026-01-01T00:00:00Z"}};
}

// python3 directory-stub.py DIR, on a free loopback port; stopped with the object.
class DirectoryStub {
public:
    // With a certificate and key (PEM files) the stub speaks HTTPS.
    explicit DirectoryStub(const std::string& tlsCert = {}, const std::string& tlsKey = {}) {
        int out[2] = {-1, -1};
        EXPECT_EQ(pipe(out), 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        const std::string script = std::string(SEALPOST_SOURCE_DIR) + "/tests/core/directory/directory-stub.py";
        const std::string dir = m_dir.path().string();
        std::vector<char*> argv{const_cast<char*>("python3"), const_cast<char*>(script.c_str()),
                                const_cast<char*>(dir.c_str())};
        if (!tlsCert.empty()) {
            argv.push_back(const_cast<char*>(tlsCert.c_str()));
            argv.push_back(const_cast<char*>(tlsKey.c_str()));
        }
        argv.push_back(nullptr);
        EXPECT_EQ(posix_spawnp(&m_pid, "python3", &actions, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        std::string line;
        char c = 0;
        while (read(out[0], &c, 1) == 1 && c != '\n') {
            line.push_back(c);
        }
        close(out[0]);
        const auto colon = line.rfind(':');
        EXPECT_NE(colon, std::string::npos) << "stub said: " << line;
        m_url = (tlsCert.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") + line.substr(colon + 1);
    }
    DirectoryStub(const DirectoryStub&) = delete;
    DirectoryStub& operator=(const DirectoryStub&) = delete;
    DirectoryStub(DirectoryStub&&) = delete;
    DirectoryStub& operator=(DirectoryStub&&) = delete;
    ~DirectoryStub() {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            int status = 0;
            waitpid(m_pid, &status, 0);
        }
    }

    [[nodiscard]] const std::string& url() const { return m_url; }

    void answer(int status, const std::string& body, const std::string& contentType = "application/json",
                nlohmann::json extra = nlohmann::json::object()) {
        nlohmann::json r = {{"status", status}, {"headers", {{"Content-Type", contentType}}}, {"body", body}};
        for (auto& [k, v] : extra.items()) {
            if (k == "headers") {
                for (auto& [hk, hv] : v.items()) {
                    r["headers"][hk] = hv;
                }
            } else {
                r[k] = v;
            }
        }
        store::test::writeFile(m_dir.path() / "response.json", r.dump());
    }
    void answerJson(int status, const nlohmann::json& body) { answer(status, body.dump()); }

    // Every request so far, oldest first.
    [[nodiscard]] std::vector<nlohmann::json> requests() const {
        std::vector<nlohmann::json> out;
        std::ifstream in(m_dir.path() / "requests.jsonl");
        for (std::string line; std::getline(in, line);) {
            out.push_back(nlohmann::json::parse(line));
        }
        return out;
    }

private:
    TempDir m_dir;
    pid_t m_pid = -1;
    std::string m_url;
};

} // namespace sealpost::directory::test
