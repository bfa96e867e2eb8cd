#pragma once

#include "base/Result.h"
#include "store/Database.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::store {

// Profile-wide preferences as key/value text (the `settings` table). Keys are dotted names owned
// by the feature that reads them, e.g. "directory.url".
class Settings {
public:
    explicit Settings(Database& db) : m_db(db) {}

    // nullopt when the key was never set (or was removed).
    [[nodiscard]] base::Result<std::optional<std::string>> get(std::string_view key);
    [[nodiscard]] base::Result<void> set(std::string_view key, std::string_view value);
    // true when the key was set.
    [[nodiscard]] base::Result<bool> remove(std::string_view key);

private:
    Database& m_db;
};

// The directory's settings, typed. An unset URL turns every directory feature off.
struct DirectorySettings {
    std::optional<std::string> url;    // base URL, e.g. "https://keys.example.net"
    bool publishHarvested = true;      // queue harvested certificates for upload
    std::optional<std::string> caFile; // extra TLS trust anchors for a private directory (PEM file)
};

inline constexpr std::string_view kDirectoryUrlKey = "directory.url";
inline constexpr std::string_view kDirectoryPublishHarvestedKey = "directory.publish-harvested"; // "on" | "off"
inline constexpr std::string_view kDirectoryCaFileKey = "directory.ca-file";

[[nodiscard]] base::Result<DirectorySettings> loadDirectorySettings(Database& db);

} // namespace sealpost::store
