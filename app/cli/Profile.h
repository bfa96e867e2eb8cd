#pragma once

#include "base/Result.h"
#include "base/SecureBuffer.h"
#include "store/Database.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::cli {

// Options that go before the command: `sealpost-cli [--profile DIR] [--passphrase-file F] COMMAND`.
struct GlobalOptions {
    std::optional<std::filesystem::path> profileDir;
    std::optional<std::string> passphraseFile;
};

// Takes the global options off the front of `args`; error text on a malformed one.
[[nodiscard]] base::Result<GlobalOptions> takeGlobalOptions(std::vector<std::string>& args);

// --profile, else $SEALPOST_PROFILE, else $XDG_DATA_HOME/sealpost, else ~/.local/share/sealpost.
[[nodiscard]] base::Result<std::filesystem::path> profileDirectory(const GlobalOptions& options);
[[nodiscard]] std::filesystem::path profileDatabase(const std::filesystem::path& dir);

// --passphrase-file, else $SEALPOST_PASSPHRASE, else a prompt on the terminal (twice when
// `confirm`, for a new passphrase). InvalidArgument when none is available (no terminal).
[[nodiscard]] base::Result<base::SecureString> profilePassphrase(const GlobalOptions& options, bool confirm);

// A passphrase from a file (one trailing line break removed) or, without a file, from the terminal.
[[nodiscard]] base::Result<base::SecureString> passphraseFrom(const std::optional<std::string>& file,
                                                              const std::string& prompt, bool confirm);

// True when a profile is named explicitly (--profile or $SEALPOST_PROFILE): commands that also work
// without a profile (open) use it then.
[[nodiscard]] bool profileNamed(const GlobalOptions& options);

// The profile database of `options`, keyed with profilePassphrase(options, confirm).
[[nodiscard]] base::Result<store::Database> openProfileDatabase(const GlobalOptions& options, store::OpenMode mode,
                                                                bool confirm);

} // namespace sealpost::cli
