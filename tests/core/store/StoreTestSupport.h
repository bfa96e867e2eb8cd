#pragma once

#include "base/SecureBuffer.h"
#include "store/Database.h"
#include "store/Statement.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <system_error>
#include <unistd.h>

namespace sealpost::store::test {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        m_path = std::filesystem::temp_directory_path() /
                 ("sealpost-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(m_path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

inline std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeFile(const std::filesystem::path& file, const std::string& content) {
    std::ofstream(file, std::ios::binary) << content;
}

inline base::SecureString secret(const char* text) {
    return base::SecureString(text);
}

inline Database openOrFail(const std::filesystem::path& file, const char* passphrase,
                           OpenMode mode = OpenMode::CreateIfMissing) {
    auto db = Database::open(file, secret(passphrase), mode);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().detail);
    return std::move(db).value();
}

// The first column of the first row, as text ("" when there is no row).
inline std::string queryText(Database& db, const char* sql) {
    auto statement = Statement::prepare(db, sql);
    EXPECT_TRUE(statement.ok()) << (statement.ok() ? "" : statement.error().detail);
    auto row = statement->step();
    EXPECT_TRUE(row.ok());
    return row.ok() && *row ? statement->columnText(0) : std::string();
}

} // namespace sealpost::store::test
