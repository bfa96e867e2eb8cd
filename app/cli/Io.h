#pragma once

#include "base/ByteSink.h"
#include "base/ByteSource.h"
#include "base/Result.h"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace sealpost::cli {

// Reads a whole file, or standard input for "-".
[[nodiscard]] base::Result<std::string> readInput(const std::string& path);

// A file, or standard input for "-", read as a stream. Rewinds when it is seekable (a regular
// file, also as redirected standard input), and knows its size when it is a regular file.
class InputFile final : public base::ByteSource {
public:
    InputFile() = default;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile() override;

    // Io naming the file when it cannot be opened.
    [[nodiscard]] base::Result<void> open(const std::string& path);
    [[nodiscard]] base::Result<std::size_t> read(std::span<std::uint8_t> out) override;
    [[nodiscard]] bool rewind() override;
    [[nodiscard]] std::optional<std::size_t> size() const override { return m_size; }

private:
    std::FILE* m_file = nullptr;
    std::string m_name;
    std::optional<std::size_t> m_size;
    bool m_stdin = false;
};

// Writes to standard output ("-") or to a file that appears under its name only when complete:
// output goes to "NAME.partial" and is renamed by commit(), so an interrupted run never leaves
// a truncated message behind. An existing target that is not a regular file (/dev/null, a FIFO)
// is written in place.
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
    bool m_inPlace = false; // an existing device or pipe: no ".partial", no rename
    bool m_failed = false;
};

} // namespace sealpost::cli
