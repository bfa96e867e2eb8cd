#include "Config.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace sealpost::ca::app {

namespace {

using base::ErrorCode;
using base::makeError;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

std::optional<long long> parseInteger(std::string_view text) {
    long long value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parseBool(std::string_view text) {
    if (text == "true" || text == "yes" || text == "on" || text == "1") {
        return true;
    }
    if (text == "false" || text == "no" || text == "off" || text == "0") {
        return false;
    }
    return std::nullopt;
}

// How each key is stored; returns an explanation when the value is not acceptable.
using Setter = std::function<std::optional<std::string>(Config&, std::string_view, const std::string& baseDir)>;

Setter text(std::string Config::*field) {
    return [field](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
        c.*field = std::string(v);
        return std::nullopt;
    };
}

Setter path(std::string Config::*field) {
    return [field](Config& c, std::string_view v, const std::string& baseDir) -> std::optional<std::string> {
        const std::filesystem::path p{std::string(v)};
        c.*field = p.is_absolute() || baseDir.empty() ? p.string() : (std::filesystem::path(baseDir) / p).string();
        return std::nullopt;
    };
}

Setter integer(int Config::*field, long long min, long long max) {
    return [field, min, max](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
        const auto n = parseInteger(v);
        if (!n || *n < min || *n > max) {
            return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
        }
        c.*field = static_cast<int>(*n);
        return std::nullopt;
    };
}

const std::map<std::string, Setter, std::less<>>& setters() {
    static const std::map<std::string, Setter, std::less<>> table = {
        {"data_dir", path(&Config::dataDir)},
        {"key_passphrase_file", path(&Config::keyPassphraseFile)},
        {"key_type",
         [](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
             if (v != "p384" && v != "rsa4096") {
                 return "p384 or rsa4096";
             }
             c.keyType = std::string(v);
             return std::nullopt;
         }},
        {"ca_name", text(&Config::caName)},
        {"external_url",
         [](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
             if ((!v.starts_with("https://") && !v.starts_with("http://")) || v.ends_with("/")) {
                 return "an http:// or https:// URL without a trailing slash";
             }
             c.externalUrl = std::string(v);
             return std::nullopt;
         }},
        {"listen", text(&Config::listen)},
        {"threads", integer(&Config::threads, 1, 256)},
        {"tls_cert", path(&Config::tlsCert)},
        {"tls_key", path(&Config::tlsKey)},
        {"database",
         [](Config& c, std::string_view v, const std::string& baseDir) -> std::optional<std::string> {
             if (v.starts_with("sqlite:")) {
                 const std::filesystem::path p{std::string(v.substr(7))};
                 c.database =
                     "sqlite:" +
                     (p.is_absolute() || baseDir.empty() ? p.string() : (std::filesystem::path(baseDir) / p).string());
                 return std::nullopt;
             }
             if (v.starts_with("postgresql://") || v.starts_with("postgres://")) {
                 c.database = std::string(v);
                 return std::nullopt;
             }
             return "sqlite:PATH or a postgresql:// URL";
         }},
        {"terms_of_service_url", text(&Config::termsOfServiceUrl)},
        {"website", text(&Config::website)},
        {"certificate_lifetime_days",
         [](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
             const auto n = parseInteger(v);
             if (!n || *n < 1 || *n > 825) {
                 return "a number of days from 1 to 825";
             }
             c.certificateLifetime = std::chrono::hours{24 * *n};
             return std::nullopt;
         }},
        {"orders_per_account_per_hour", integer(&Config::ordersPerAccountPerHour, 1, 1000000)},
        {"orders_per_address_per_hour", integer(&Config::ordersPerAddressPerHour, 1, 1000000)},
        {"challenge_from", text(&Config::challengeFrom)},
        {"smtp_url", text(&Config::smtpUrl)},
        {"imap_url", text(&Config::imapUrl)},
        {"mail_user", text(&Config::mailUser)},
        {"mail_password_file", path(&Config::mailPasswordFile)},
        {"mail_ca_file", path(&Config::mailCaFile)},
        {"mail_poll_seconds",
         [](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
             const auto n = parseInteger(v);
             if (!n || *n < 1 || *n > 3600) {
                 return "a number of seconds from 1 to 3600";
             }
             c.mailPollInterval = std::chrono::seconds{*n};
             return std::nullopt;
         }},
        {"require_dkim",
         [](Config& c, std::string_view v, const std::string&) -> std::optional<std::string> {
             const auto b = parseBool(v);
             if (!b) {
                 return "true or false";
             }
             c.requireDkim = *b;
             return std::nullopt;
         }},
        {"dkim_key_file", path(&Config::dkimKeyFile)},
        {"keydir_url", text(&Config::keydirUrl)},
        {"keydir_token_file", path(&Config::keydirTokenFile)},
        {"keydir_ca_file", path(&Config::keydirCaFile)},
    };
    return table;
}

base::Result<void> requireKeys(const Config& c,
                               std::initializer_list<std::pair<const char*, std::string Config::*>> keys) {
    std::string missing;
    for (const auto& [name, field] : keys) {
        if ((c.*field).empty()) {
            missing += missing.empty() ? name : std::string(", ") + name;
        }
    }
    if (!missing.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the configuration lacks " + missing);
    }
    return {};
}

} // namespace

base::Result<Config> parseConfig(std::string_view content, const std::string& baseDir) {
    Config config;
    std::set<std::string, std::less<>> seen;
    std::size_t lineNumber = 0;
    while (!content.empty()) {
        const auto end = content.find('\n');
        const std::string_view raw = content.substr(0, end);
        content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
        ++lineNumber;
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::string where = "line " + std::to_string(lineNumber);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return makeError(ErrorCode::InvalidArgument, where + ": expected key = value");
        }
        const std::string_view key = trim(line.substr(0, eq));
        const std::string_view value = trim(line.substr(eq + 1));
        const auto setter = setters().find(key);
        if (setter == setters().end()) {
            return makeError(ErrorCode::InvalidArgument, where + ": unknown key '" + std::string(key) + "'");
        }
        if (!seen.insert(std::string(key)).second) {
            return makeError(ErrorCode::InvalidArgument, where + ": '" + std::string(key) + "' is set twice");
        }
        if (value.empty()) {
            return makeError(ErrorCode::InvalidArgument, where + ": '" + std::string(key) + "' has no value");
        }
        if (auto problem = setter->second(config, value, baseDir)) {
            return makeError(ErrorCode::InvalidArgument, where + ": '" + std::string(key) + "' must be " + *problem);
        }
    }
    if (config.mailUser.empty()) {
        config.mailUser = config.challengeFrom;
    }
    if (config.termsOfServiceUrl.empty() && !config.externalUrl.empty()) {
        config.termsOfServiceUrl = config.externalUrl + "/terms";
    }
    if (config.tlsCert.empty() != config.tlsKey.empty()) {
        return makeError(ErrorCode::InvalidArgument, "tls_cert and tls_key go together");
    }
    if (config.keydirUrl.empty() != config.keydirTokenFile.empty()) {
        return makeError(ErrorCode::InvalidArgument, "keydir_url and keydir_token_file go together");
    }
    return config;
}

base::Result<Config> loadConfig(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return makeError(ErrorCode::Io, "cannot read the configuration " + path);
    }
    std::ostringstream content;
    content << in.rdbuf();
    auto config = parseConfig(content.str(), std::filesystem::absolute(path).parent_path().string());
    if (!config) {
        return makeError(config.error().code, path + ": " + config.error().detail);
    }
    return config;
}

base::Result<void> checkForInit(const Config& config) {
    return requireKeys(config, {{"data_dir", &Config::dataDir},
                                {"key_passphrase_file", &Config::keyPassphraseFile},
                                {"challenge_from", &Config::challengeFrom}});
}

base::Result<void> checkForServe(const Config& config) {
    return requireKeys(config, {{"data_dir", &Config::dataDir},
                                {"key_passphrase_file", &Config::keyPassphraseFile},
                                {"external_url", &Config::externalUrl},
                                {"challenge_from", &Config::challengeFrom},
                                {"smtp_url", &Config::smtpUrl},
                                {"imap_url", &Config::imapUrl},
                                {"mail_password_file", &Config::mailPasswordFile}});
}

base::Result<std::string> readSecretFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return makeError(ErrorCode::Io, "cannot read " + path);
    }
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.empty()) {
        return makeError(ErrorCode::InvalidArgument, path + " is empty");
    }
    return line;
}

} // namespace sealpost::ca::app
