#pragma once

#include "Args.h"
#include "base/Result.h"
#include "crypto/Identity.h"

#include <string>
#include <vector>

namespace sealpost::cli {

// Loaders that name the file in every error.
[[nodiscard]] base::Result<std::vector<crypto::Certificate>> loadCertificates(const std::string& path);
[[nodiscard]] base::Result<crypto::Certificate> loadCertificate(const std::string& path);
// A password file's content without one trailing line break.
[[nodiscard]] base::Result<std::string> readPasswordFile(const std::string& path);

// Identities from --key/--cert pairs (in order; --key-password-file applies to every key) and
// --p12 files (--p12-password-file once for all, or once per file).
[[nodiscard]] base::Result<std::vector<crypto::Identity>> loadIdentities(const Args& args);

} // namespace sealpost::cli
