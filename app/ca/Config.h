#pragma once

#include "base/Result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealpost::ca::app {

// The operator's configuration file of sealpost-ca (docs/ca-server.md): one `key = value` per
// line, `#` starts a comment line, blank lines are ignored, relative paths are relative to the
// file's directory. Secrets (key passphrase, mailbox password, directory token) are never in the
// file itself, only the names of files holding them.
struct Config {
    // The CA's key material (`sealpost-ca init` writes it).
    std::string dataDir;
    std::string keyPassphraseFile;
    std::string keyType = "p384";       // root and intermediate: p384 or rsa4096
    std::string caName = "Sealpost CA"; // the subject CN prefix of root and intermediate

    // ACME over HTTP(S).
    std::string externalUrl;            // e.g. https://ca.example.org (no trailing slash)
    std::string listen = "127.0.0.1:0"; // HOST:PORT; port 0 picks a free one (printed at start)
    int threads = 2;
    std::string tlsCert; // both or neither: HTTPS directly
    std::string tlsKey;
    std::string database = "sqlite:ca.sqlite";
    std::string termsOfServiceUrl; // default: external_url + "/terms"
    std::string website;
    std::chrono::hours certificateLifetime{24 * 90};
    int ordersPerAccountPerHour = 30;
    int ordersPerAddressPerHour = 5;

    // The challenge mailbox (RFC 8823).
    std::string challengeFrom; // the address challenge mails come from and replies go to
    std::string smtpUrl;       // smtp://host:587 (STARTTLS) or smtps://host:465
    std::string imapUrl;       // imap://host:143 (STARTTLS) or imaps://host:993
    std::string mailUser;      // default: challenge_from
    std::string mailPasswordFile;
    std::string mailCaFile; // a private CA for the mail servers' TLS certificates
    std::chrono::seconds mailPollInterval{5};
    bool requireDkim = false;
    std::string dkimKeyFile; // resolve DKIM keys from this file instead of DNS (tests, closed setups)

    // Publication of issued certificates to sealpost-keydir.
    std::string keydirUrl;
    std::string keydirTokenFile;
    std::string keydirCaFile;
};

// Parses the text of a configuration file; `baseDir` resolves relative paths. InvalidArgument
// names the line and the key for an unknown key, a missing '=', a repeated key or a bad value.
[[nodiscard]] base::Result<Config> parseConfig(std::string_view text, const std::string& baseDir);

// Reads and parses the file (Io when it cannot be read).
[[nodiscard]] base::Result<Config> loadConfig(const std::string& path);

// What each command needs: InvalidArgument naming every missing key.
[[nodiscard]] base::Result<void> checkForInit(const Config& config);
[[nodiscard]] base::Result<void> checkForServe(const Config& config);

// The first line of a secret file, without its line end; InvalidArgument when empty.
[[nodiscard]] base::Result<std::string> readSecretFile(const std::string& path);

} // namespace sealpost::ca::app
