#pragma once

#include "Profile.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Exit codes of enroll and renew besides those of the server commands (docs/cli.md).
constexpr int kExitCaRefused = 10;       // the CA answered with an ACME problem (rateLimited, badCSR, ...)
constexpr int kExitNoChallengeMail = 11; // the CA's challenge mail did not arrive in time

// `enroll [--account ADDR] [--ca URL] [--ca-root FILE] [--ca-file TLS_CA.pem]
// [--key-type rsa3072|p256] [--timeout SECONDS] [--json]`: a certificate from the ACME CA for
// the account's address (docs/acme.md, "The client").
int runEnroll(const std::vector<std::string>& args, const GlobalOptions& global);
// `renew [--force] [--json]`: the renewal run over every enrolled current identity.
int runRenew(const std::vector<std::string>& args, const GlobalOptions& global);

} // namespace sealpost::cli
