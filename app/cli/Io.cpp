#include "Io.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace sealpost::cli {

base::Result<std::string> readInput(const std::string& path) {
    if (path == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return base::makeError(base::ErrorCode::Io, path + ": " + std::strerror(errno));
    }
    std::string data;
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size > 0) {
        data.resize(static_cast<std::size_t>(size));
        in.seekg(0);
        in.read(data.data(), static_cast<std::streamsize>(size));
    }
    if (in.bad()) {
        return base::makeError(base::ErrorCode::Io, path + ": read error");
    }
    return data;
}

InputFile::~InputFile() {
    if (m_file != nullptr && !m_stdin) {
        (void)std::fclose(m_file); // read-only: nothing to lose
    }
}

base::Result<void> InputFile::open(const std::string& path) {
    m_stdin = path == "-";
    m_name = m_stdin ? std::string("standard input") : path;
    m_file = m_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (m_file == nullptr) {
        return base::makeError(base::ErrorCode::Io, path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(::fileno(m_file), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        m_size = static_cast<std::size_t>(st.st_size);
    }
    return base::Ok{};
}

base::Result<std::size_t> InputFile::read(std::span<std::uint8_t> out) {
    const std::size_t n = std::fread(out.data(), 1, out.size(), m_file);
    if (n < out.size() && std::ferror(m_file) != 0) {
        return base::makeError(base::ErrorCode::Io, m_name + ": read error");
    }
    return n;
}

bool InputFile::rewind() {
    if (!m_size) {
        return false; // a pipe or a terminal: what was read is gone
    }
    std::clearerr(m_file);
    return std::fseek(m_file, 0, SEEK_SET) == 0;
}

OutputFile::~OutputFile() {
    if (m_file != nullptr && !m_stdout) {
        (void)std::fclose(m_file); // abandoning the file anyway
        if (!m_inPlace) {
            std::error_code ec;
            std::filesystem::remove(m_partial, ec); // not committed: leave nothing half-written
        }
    }
}

base::Result<void> OutputFile::open(const std::string& path) {
    if (path == "-") {
        m_stdout = true;
        m_file = stdout;
        return base::Ok{};
    }
    m_path = path;
    // A device or a pipe (/dev/null, a FIFO, /dev/stdout) is written in place: renaming a
    // ".partial" over it would replace the device by a plain file.
    std::error_code ec;
    if (std::filesystem::exists(m_path, ec) && !std::filesystem::is_regular_file(m_path, ec)) {
        m_inPlace = true;
        m_file = std::fopen(m_path.c_str(), "wb");
        if (m_file == nullptr) {
            return base::makeError(base::ErrorCode::Io, m_path.string() + ": " + std::strerror(errno));
        }
        return base::Ok{};
    }
    m_partial = m_path;
    m_partial += ".partial";
    m_file = std::fopen(m_partial.c_str(), "wb");
    if (m_file == nullptr) {
        return base::makeError(base::ErrorCode::Io, m_partial.string() + ": " + std::strerror(errno));
    }
    return base::Ok{};
}

bool OutputFile::write(base::ByteView data) {
    if (m_failed || m_file == nullptr) {
        return false;
    }
    if (std::fwrite(data.data(), 1, data.size(), m_file) != data.size()) {
        m_failed = true;
    }
    return !m_failed;
}

base::Result<void> OutputFile::commit() {
    const std::string name = m_stdout ? std::string("standard output") : m_path.string();
    if (m_failed || std::fflush(m_file) != 0) {
        return base::makeError(base::ErrorCode::Io, name + ": write error");
    }
    if (m_stdout) {
        return base::Ok{};
    }
    const bool closed = std::fclose(m_file) == 0;
    m_file = nullptr;
    if (m_inPlace) {
        return closed ? base::Result<void>(base::Ok{}) : base::makeError(base::ErrorCode::Io, name + ": write error");
    }
    std::error_code ec;
    if (!closed) {
        std::filesystem::remove(m_partial, ec);
        return base::makeError(base::ErrorCode::Io, name + ": write error");
    }
    std::filesystem::rename(m_partial, m_path, ec);
    if (ec) {
        std::filesystem::remove(m_partial, ec);
        return base::makeError(base::ErrorCode::Io, name + ": " + ec.message());
    }
    return base::Ok{};
}

base::Result<void> OutputFile::openPrivate(const std::string& path) {
    std::error_code ec;
    if (path == "-" || (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))) {
        return open(path); // standard output, a device or a pipe: written in place
    }
#ifdef _WIN32
    // The profile directory's ACL protects it; nothing finer-grained here yet.
    return open(path);
#else
    m_path = path;
    m_partial = m_path;
    m_partial += ".partial";
    // O_NOFOLLOW: a planted symlink must not redirect the key material.
    const int fd = ::open(m_partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        return base::makeError(base::ErrorCode::Io, m_partial.string() + ": " + std::strerror(errno));
    }
    // A ".partial" left over from an interrupted run keeps its old mode through O_CREAT.
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
        const int saved = errno;
        (void)::close(fd);
        return base::makeError(base::ErrorCode::Io, m_partial.string() + ": " + std::strerror(saved));
    }
    m_file = ::fdopen(fd, "wb");
    if (m_file == nullptr) {
        const int saved = errno;
        (void)::close(fd);
        return base::makeError(base::ErrorCode::Io, m_partial.string() + ": " + std::strerror(saved));
    }
    return base::Ok{};
#endif
}

} // namespace sealpost::cli
