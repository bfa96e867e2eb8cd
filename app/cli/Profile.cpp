#include "Profile.h"

#include "KeyMaterial.h"
#include "Terminal.h"

#include <cstdlib>

namespace sealpost::cli {

namespace {

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name); // NOLINT(concurrency-mt-unsafe): read once at start-up
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

} // namespace

base::Result<GlobalOptions> takeGlobalOptions(std::vector<std::string>& args) {
    GlobalOptions options;
    while (!args.empty() && (args[0] == "--profile" || args[0] == "--passphrase-file")) {
        if (args.size() < 2) {
            return base::makeError(base::ErrorCode::InvalidArgument, "option " + args[0] + " needs a value");
        }
        if (args[0] == "--profile") {
            options.profileDir = args[1];
        } else {
            options.passphraseFile = args[1];
        }
        args.erase(args.begin(), args.begin() + 2);
    }
    return options;
}

base::Result<std::filesystem::path> profileDirectory(const GlobalOptions& options) {
    if (options.profileDir) {
        return *options.profileDir;
    }
    if (auto dir = env("SEALPOST_PROFILE")) {
        return std::filesystem::path(*dir);
    }
    if (auto data = env("XDG_DATA_HOME")) {
        return std::filesystem::path(*data) / "sealpost";
    }
    if (auto home = env("HOME")) {
        return std::filesystem::path(*home) / ".local" / "share" / "sealpost";
    }
    return base::makeError(base::ErrorCode::InvalidArgument, "no profile directory: give --profile DIR");
}

std::filesystem::path profileDatabase(const std::filesystem::path& dir) {
    return dir / "profile.db";
}

base::Result<base::SecureString> passphraseFrom(const std::optional<std::string>& file, const std::string& prompt,
                                                bool confirm) {
    if (file) {
        auto text = readPasswordFile(*file);
        if (!text) {
            return text.error();
        }
        base::SecureString secret(*text);
        base::secureWipe(text->data(), text->size());
        return secret;
    }
    auto first = readSecretFromTerminal(prompt);
    if (!first) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "no passphrase: give --passphrase-file F or set SEALPOST_PASSPHRASE");
    }
    if (confirm) {
        auto again = readSecretFromTerminal("Repeat: ");
        if (!again || again->view() != first->view()) {
            return base::makeError(base::ErrorCode::InvalidArgument, "the passphrases do not match");
        }
    }
    return std::move(*first);
}

base::Result<base::SecureString> profilePassphrase(const GlobalOptions& options, bool confirm) {
    if (!options.passphraseFile) {
        if (auto fromEnv = env("SEALPOST_PASSPHRASE")) {
            base::SecureString secret(*fromEnv);
            base::secureWipe(fromEnv->data(), fromEnv->size());
            return secret;
        }
    }
    return passphraseFrom(options.passphraseFile, "Profile passphrase: ", confirm);
}

bool profileNamed(const GlobalOptions& options) {
    return options.profileDir.has_value() || env("SEALPOST_PROFILE").has_value();
}

base::Result<store::Database> openProfileDatabase(const GlobalOptions& options, store::OpenMode mode, bool confirm) {
    auto dir = profileDirectory(options);
    if (!dir) {
        return dir.error();
    }
    auto passphrase = profilePassphrase(options, confirm);
    if (!passphrase) {
        return passphrase.error();
    }
    return store::Database::open(profileDatabase(*dir), *passphrase, mode); // errors name the file
}

} // namespace sealpost::cli
