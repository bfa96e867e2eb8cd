#include "store/Settings.h"

#include "store/Statement.h"

namespace sealpost::store {

base::Result<std::optional<std::string>> Settings::get(std::string_view key) {
    auto select = Statement::prepare(m_db, "SELECT value FROM settings WHERE key = ?", {key});
    if (!select) {
        return select.error();
    }
    auto row = select->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(select->columnText(0));
}

base::Result<void> Settings::set(std::string_view key, std::string_view value) {
    auto upsert = Statement::prepare(m_db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", {key, value});
    if (!upsert) {
        return upsert.error();
    }
    return upsert->run();
}

base::Result<bool> Settings::remove(std::string_view key) {
    auto del = Statement::prepare(m_db, "DELETE FROM settings WHERE key = ?", {key});
    if (!del) {
        return del.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    return m_db.changes() > 0;
}

base::Result<DirectorySettings> loadDirectorySettings(Database& db) {
    Settings settings(db);
    DirectorySettings out;
    auto url = settings.get(kDirectoryUrlKey);
    if (!url) {
        return url.error();
    }
    if (*url && !(*url)->empty()) {
        out.url = **url;
    }
    auto publish = settings.get(kDirectoryPublishHarvestedKey);
    if (!publish) {
        return publish.error();
    }
    out.publishHarvested = !*publish || **publish != "off";
    auto caFile = settings.get(kDirectoryCaFileKey);
    if (!caFile) {
        return caFile.error();
    }
    if (*caFile && !(*caFile)->empty()) {
        out.caFile = **caFile;
    }
    return out;
}

} // namespace sealpost::store
