#pragma once

// The env file of tests/mail/mailserver.sh (NAME=value lines), for C++ integration tests. Its path
// comes from SEALPOST_MAIL_ENV (set by the wrapper scripts that start the fixture); an empty map
// when the variable is unset, so the tests can skip.

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace sealpost::test {

inline std::map<std::string, std::string> readMailFixtureEnv() {
    std::map<std::string, std::string> env;
    const char* path = std::getenv("SEALPOST_MAIL_ENV"); // NOLINT(concurrency-mt-unsafe): read before threads
    if (path == nullptr) {
        return env;
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) {
            continue;
        }
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        env[line.substr(0, eq)] = value;
    }
    return env;
}

} // namespace sealpost::test
