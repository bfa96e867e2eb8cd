#include "engine/MessageSource.h"

#include <algorithm>
#include <fstream>
#include <system_error>
#include <vector>

namespace sealpost::engine {

namespace {

using base::ErrorCode;

base::Error ioError(const std::filesystem::path& path, std::string_view what) {
    return base::makeError(ErrorCode::Io, path.string() + ": " + std::string(what));
}

// Reads a whole file as one message, refusing files over the limit before reading them.
SourceMessage readMessageFile(const std::filesystem::path& file, const SourceLimits& limits) {
    SourceMessage m{.label = file.string(), .data = {}, .error = {}};
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) {
        m.error = "cannot read: " + ec.message();
        return m;
    }
    if (size > limits.maxMessageBytes) {
        m.error = "larger than " + std::to_string(limits.maxMessageBytes) + " bytes";
        return m;
    }
    std::ifstream in(file, std::ios::binary);
    m.data.resize(static_cast<std::size_t>(size));
    if (!in || !in.read(m.data.data(), static_cast<std::streamsize>(size))) {
        m.data.clear();
        m.error = "cannot read the file";
        return m;
    }
    restoreCrlf(m.data);
    return m;
}

class FileListSource final : public MessageSource {
public:
    FileListSource(std::vector<std::filesystem::path> files, std::uint64_t total, SourceLimits limits)
        : m_files(std::move(files)), m_total(total), m_limits(limits) {}

    base::Result<std::optional<SourceMessage>> next() override {
        if (m_next >= m_files.size()) {
            return std::optional<SourceMessage>();
        }
        const auto& file = m_files[m_next++];
        std::error_code ec;
        m_read += std::filesystem::file_size(file, ec);
        return std::optional<SourceMessage>(readMessageFile(file, m_limits));
    }
    [[nodiscard]] std::uint64_t bytesRead() const noexcept override { return m_read; }
    [[nodiscard]] std::uint64_t bytesTotal() const noexcept override { return m_total; }

private:
    std::vector<std::filesystem::path> m_files;
    std::size_t m_next = 0;
    std::uint64_t m_read = 0;
    std::uint64_t m_total = 0;
    SourceLimits m_limits;
};

bool isFromLine(const std::string& line) {
    return line.rfind("From ", 0) == 0;
}

// ">From ", ">>From ", ... lose one ">" (mboxrd; for mboxo this undoes the only quoting there is).
void unquoteFrom(std::string& line) {
    const std::size_t gts = line.find_first_not_of('>');
    if (gts > 0 && gts != std::string::npos && line.compare(gts, 5, "From ") == 0) {
        line.erase(0, 1);
    }
}

class MboxSource final : public MessageSource {
public:
    MboxSource(std::filesystem::path file, std::ifstream in, std::uint64_t total, SourceLimits limits)
        : m_file(std::move(file)), m_in(std::move(in)), m_total(total), m_limits(limits) {}

    base::Result<std::optional<SourceMessage>> next() override {
        if (!m_started) {
            m_started = true;
            if (!readLine()) {
                return finish();
            }
            if (!isFromLine(m_line)) {
                return ioError(m_file, "not an mbox file (it does not start with a \"From \" line)");
            }
        }
        if (m_atEnd) {
            return finish();
        }
        // m_line is the "From " separator of the message to read now.
        SourceMessage m{.label = m_file.string() + "#" + std::to_string(++m_count), .data = {}, .error = {}};
        bool previousEmpty = false;
        std::size_t pendingEmpty = 0; // empty lines held back: the one before "From " is not content
        while (true) {
            if (!readLine()) {
                m_atEnd = true;
                break;
            }
            if (previousEmpty && isFromLine(m_line)) {
                break;
            }
            previousEmpty = m_line.empty();
            if (m_line.empty()) {
                ++pendingEmpty;
                continue;
            }
            for (; pendingEmpty > 0; --pendingEmpty) {
                append(m, "");
            }
            unquoteFrom(m_line);
            append(m, m_line);
        }
        // Keep all but the last held-back empty line (the separator before the next "From ").
        for (; pendingEmpty > 1; --pendingEmpty) {
            append(m, "");
        }
        if (!m.error.empty()) {
            m.data.clear();
        }
        if (m_in.bad()) {
            return ioError(m_file, "read error");
        }
        return std::optional<SourceMessage>(std::move(m));
    }
    [[nodiscard]] std::uint64_t bytesRead() const noexcept override { return m_read; }
    [[nodiscard]] std::uint64_t bytesTotal() const noexcept override { return m_total; }

private:
    base::Result<std::optional<SourceMessage>> finish() {
        if (m_in.bad()) {
            return ioError(m_file, "read error");
        }
        return std::optional<SourceMessage>();
    }

    bool readLine() {
        if (!std::getline(m_in, m_line)) {
            return false;
        }
        m_read += m_line.size() + (m_in.eof() ? 0 : 1); // the last line may lack its newline
        if (!m_line.empty() && m_line.back() == '\r') {
            m_line.pop_back();
        }
        return true;
    }

    void append(SourceMessage& m, std::string_view line) const {
        if (!m.error.empty()) {
            return;
        }
        if (m.data.size() + line.size() + 2 > m_limits.maxMessageBytes) {
            m.error = "larger than " + std::to_string(m_limits.maxMessageBytes) + " bytes";
            m.data.clear();
            m.data.shrink_to_fit();
            return;
        }
        m.data.append(line);
        m.data.append("\r\n");
    }

    std::filesystem::path m_file;
    std::ifstream m_in;
    std::string m_line;
    bool m_started = false;
    bool m_atEnd = false;
    std::size_t m_count = 0;
    std::uint64_t m_read = 0;
    std::uint64_t m_total = 0;
    SourceLimits m_limits;
};

} // namespace

void restoreCrlf(std::string& text) {
    if (text.find("\r\n") != std::string::npos || text.find('\n') == std::string::npos) {
        return;
    }
    const auto lfs = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    std::string out;
    out.reserve(text.size() + lfs);
    for (const char c : text) {
        if (c == '\n') {
            out.push_back('\r');
        }
        out.push_back(c);
    }
    text = std::move(out);
}

base::Result<std::unique_ptr<MessageSource>> openMessageFile(const std::filesystem::path& file,
                                                             const SourceLimits& limits) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return ioError(file, ec ? ec.message() : "not a file");
    }
    const auto size = std::filesystem::file_size(file, ec);
    return std::unique_ptr<MessageSource>(std::make_unique<FileListSource>(std::vector{file}, ec ? 0 : size, limits));
}

base::Result<std::unique_ptr<MessageSource>> openMbox(const std::filesystem::path& file, const SourceLimits& limits) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return ioError(file, ec ? ec.message() : "not a file");
    }
    const auto size = std::filesystem::file_size(file, ec);
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return ioError(file, "cannot open");
    }
    return std::unique_ptr<MessageSource>(std::make_unique<MboxSource>(file, std::move(in), ec ? 0 : size, limits));
}

base::Result<std::unique_ptr<MessageSource>> openMaildir(const std::filesystem::path& dir, const SourceLimits& limits) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return ioError(dir, ec ? ec.message() : "not a directory");
    }
    const bool hasCur = std::filesystem::is_directory(dir / "cur", ec);
    const bool hasNew = std::filesystem::is_directory(dir / "new", ec);
    if (!hasCur && !hasNew) {
        return base::makeError(ErrorCode::InvalidArgument, dir.string() + ": not a Maildir (no cur/ or new/)");
    }
    std::vector<std::filesystem::path> files;
    std::uint64_t total = 0;
    for (const char* sub : {"cur", "new"}) {
        if (!std::filesystem::is_directory(dir / sub, ec)) {
            continue;
        }
        for (std::filesystem::directory_iterator it(dir / sub, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code fileEc;
            if (it->is_regular_file(fileEc) && it->path().filename().string().front() != '.') {
                files.push_back(it->path());
                total += it->file_size(fileEc);
            }
        }
        if (ec) {
            return ioError(dir / sub, ec.message());
        }
    }
    std::sort(files.begin(), files.end());
    return std::unique_ptr<MessageSource>(std::make_unique<FileListSource>(std::move(files), total, limits));
}

} // namespace sealpost::engine
