// Test helper: adds a fixture user's account to a profile, until the CLI can (account add).
// Usage: imap-test-account PROFILE_DIR PASSPHRASE ENV_FILE USER [PIN|nopin]
#include "store/AccountStore.h"

#include <fstream>
#include <iostream>
#include <map>
#include <string>

using namespace sealpost;

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: imap-test-account PROFILE_DIR PASSPHRASE ENV_FILE USER [nopin]\n";
        return 2;
    }
    std::map<std::string, std::string> env;
    std::ifstream in(argv[3]);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos && line[0] != '#') {
            std::string value = line.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            env[line.substr(0, eq)] = value;
        }
    }
    const std::string user = argv[4];
    auto db = store::Database::open(std::filesystem::path(argv[1]) / "profile.db", base::SecureString(argv[2]),
                                    store::OpenMode::MustExist);
    if (!db) {
        std::cerr << db.error().detail << "\n";
        return 1;
    }
    store::Account a;
    a.address = env["MAIL_USER_" + user];
    a.imap.host = env["MAIL_HOST"];
    a.imap.port = std::stoi(env["MAIL_IMAPS_PORT"]);
    a.imap.security = mail::Security::ImplicitTls;
    a.imap.username = a.address;
    a.imap.secret = env["MAIL_PASSWORD_" + user];
    a.imap.pinnedSha256 = argc > 5 && std::string(argv[5]) == "nopin" ? "" : env["MAIL_CERT_SHA256"];
    a.smtp = a.imap;
    a.smtp.port = std::stoi(env["MAIL_SUBMISSIONS_PORT"]);
    auto id = store::AccountStore(*db).add(a);
    if (!id) {
        std::cerr << id.error().detail << "\n";
        return 1;
    }
    return 0;
}
