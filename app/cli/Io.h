#pragma once

#include "base/ByteSink.h"
#include "base/Result.h"

#include <cstdio>
#include <filesystem>
#include <string>

namespace sealpost::cli {

// Reads a whole file, or standard input for "-".
[[nodiscard]] base::Result<std::string> readInput(const std::string& path);

// Writes to standard output ("-") or to a file that appears under its name only when complete:
// output goes to "NAME.partial" and is renamed by commit(), so an interrupted run never leaves
// a truncated message behind.
class OutputFile final : public base::ByteSink {
public:
    OutputFile() = default;
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile() override;

    [[nodiscard]] base::Result<void> open(const std::string& path);
    [[nodiscard]] bool write(base::ByteView data) override;
    [[nodiscard]] base::Result<void> commit();
    // As open(), but the file (and its ".partial") is readable and writable by the owner only
    // (0600 on POSIX) from its creation on: for key material, even encrypted.
    [[nodiscard]] base::Result<void> openPrivate(const std::string& path);

private:
    std::FILE* m_file = nullptr;
    std::filesystem::path m_path;
    std::filesystem::path m_partial;
    bool m_stdout = false;
    bool m_failed = false;
};

} // namespace sealpost::cli
