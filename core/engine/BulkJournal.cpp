#include "engine/BulkJournal.h"

#include "crypto/OpenSslHandles.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <openssl/evp.h>
#include <optional>
#include <span>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace sealpost::engine {

using base::ErrorCode;

namespace {

constexpr std::string_view kMagic = "sealpost-bulk-journal 1";

base::Error ioError(const std::string& what, const std::filesystem::path& path) {
    return base::makeError(ErrorCode::Io, what + " " + path.string() + ": " + std::strerror(errno));
}

std::string hex(std::span<const unsigned char> bytes) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char b : bytes) {
        out.push_back(kDigits[b >> 4U]);
        out.push_back(kDigits[b & 0xFU]);
    }
    return out;
}

std::optional<std::size_t> parseNumber(std::string_view text) {
    std::size_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value == 0) {
        return std::nullopt;
    }
    return value;
}

// One complete record: "S LINE", "D LINE encrypted|plain", "R LINE". Anything else is ignored.
std::optional<std::pair<std::size_t, JournalState>> parseRecord(std::string_view record) {
    if (record.size() < 3 || record[1] != ' ') {
        return std::nullopt;
    }
    const char kind = record[0];
    record.remove_prefix(2);
    const auto space = record.find(' ');
    const auto line = parseNumber(record.substr(0, space));
    if (!line) {
        return std::nullopt;
    }
    const std::string_view rest = space == std::string_view::npos ? std::string_view() : record.substr(space + 1);
    if (kind == 'S' && rest.empty()) {
        return std::pair{*line, JournalState::InFlight};
    }
    if (kind == 'R' && rest.empty()) {
        return std::pair{*line, JournalState::Refused};
    }
    if (kind == 'D' && (rest == "encrypted" || rest == "plain")) {
        return std::pair{*line, rest == "encrypted" ? JournalState::DoneEncrypted : JournalState::DonePlain};
    }
    return std::nullopt;
}

base::Result<std::string> readAll(int fd, const std::filesystem::path& path) {
    std::string data;
    std::array<char, 65536> buf{};
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return ioError("cannot read", path);
        }
        if (n == 0) {
            return data;
        }
        data.append(buf.data(), static_cast<std::size_t>(n));
    }
}

} // namespace

base::Result<BatchFingerprint> fingerprintBatch(const std::filesystem::path& batchFile) {
    const int fd = ::open(batchFile.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ioError("cannot open", batchFile);
    }
    crypto::OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        ::close(fd);
        return base::makeError(ErrorCode::CryptoFailure, "SHA-256 unavailable");
    }
    BatchFingerprint out;
    std::array<char, 65536> buf{};
    bool lineHasText = false;
    bool lineOpen = false;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            auto e = ioError("cannot read", batchFile);
            ::close(fd);
            return e;
        }
        if (n == 0) {
            break;
        }
        const auto size = static_cast<std::size_t>(n);
        EVP_DigestUpdate(ctx.get(), buf.data(), size);
        out.size += size;
        for (std::size_t i = 0; i < size; ++i) {
            const char c = buf[i];
            if (c == '\n') {
                ++out.lines;
                out.items += lineHasText ? 1 : 0;
                lineHasText = false;
                lineOpen = false;
            } else {
                lineOpen = true;
                lineHasText = lineHasText || (c != ' ' && c != '\t' && c != '\r');
            }
        }
    }
    ::close(fd);
    if (lineOpen) {
        ++out.lines;
        out.items += lineHasText ? 1 : 0;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int mdLen = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md.data(), &mdLen) != 1) {
        return base::makeError(ErrorCode::CryptoFailure, "SHA-256 failed");
    }
    out.sha256 = hex(std::span(md.data(), mdLen));
    return out;
}

std::string journalHeader(const BatchFingerprint& batch) {
    return std::string(kMagic) + " sha256=" + batch.sha256 + " size=" + std::to_string(batch.size);
}

base::Result<BulkJournal> BulkJournal::open(const std::filesystem::path& path, const BatchFingerprint& batch,
                                            bool syncInFlight) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return ioError("cannot open the journal", path);
    }
    BulkJournal journal(fd, path, syncInFlight);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        return base::makeError(ErrorCode::InvalidArgument,
                               "the journal " + path.string() + " is in use by another run of this batch");
    }
    if (auto loaded = journal.load(batch); !loaded) {
        return loaded.error();
    }
    return journal;
}

base::Result<void> BulkJournal::load(const BatchFingerprint& batch) {
    auto data = readAll(m_fd, m_path);
    if (!data) {
        return data.error();
    }
    const std::string header = journalHeader(batch) + "\n";
    // Only complete records count; whatever follows the last line end was torn by a crash.
    const auto lastEnd = data->rfind('\n');
    const std::size_t complete = lastEnd == std::string::npos ? 0 : lastEnd + 1;
    if (complete == 0) {
        // New, or torn while its header was written: (re)write the header.
        if (!std::string_view(header).starts_with(*data) && !std::string_view(kMagic).starts_with(*data)) {
            return base::makeError(ErrorCode::MalformedInput, m_path.string() + " is not a bulk-send journal");
        }
        if (::ftruncate(m_fd, 0) != 0) {
            return ioError("cannot truncate", m_path);
        }
        m_states.assign(batch.lines + 1, JournalState::None);
        if (auto written = append(header); !written) {
            return written.error();
        }
        if (::fsync(m_fd) != 0) {
            return ioError("cannot sync", m_path);
        }
        return base::Ok{};
    }
    const std::string_view text(data->data(), complete);
    const auto firstEnd = text.find('\n');
    const std::string_view first = text.substr(0, firstEnd + 1);
    if (first != header) {
        if (!first.starts_with(kMagic)) {
            return base::makeError(ErrorCode::MalformedInput, m_path.string() + " is not a bulk-send journal");
        }
        return base::makeError(ErrorCode::InvalidArgument,
                               "the journal " + m_path.string() + " belongs to a different batch file (it names " +
                                   std::string(first.substr(0, first.size() - 1)) +
                                   "); use another journal, or the batch file it was made for");
    }
    m_states.assign(batch.lines + 1, JournalState::None);
    std::size_t pos = first.size();
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        const auto record = parseRecord(text.substr(pos, end - pos));
        if (record && record->first < m_states.size()) {
            m_states[record->first] = record->second;
        }
        pos = end + 1;
    }
    if (complete != data->size() && ::ftruncate(m_fd, static_cast<off_t>(complete)) != 0) {
        return ioError("cannot cut the torn record off", m_path);
    }
    if (::lseek(m_fd, 0, SEEK_END) < 0) {
        return ioError("cannot seek", m_path);
    }
    return base::Ok{};
}

BulkJournal::BulkJournal(BulkJournal&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)), m_syncInFlight(other.m_syncInFlight),
      m_states(std::move(other.m_states)), m_written(other.m_written), m_synced(other.m_synced) {}

BulkJournal::~BulkJournal() {
    if (m_fd >= 0) {
        ::fsync(m_fd);
        ::close(m_fd); // releases the lock
    }
}

JournalState BulkJournal::stateOf(std::size_t line) const noexcept {
    return line < m_states.size() ? m_states[line] : JournalState::None;
}

base::Result<std::uint64_t> BulkJournal::append(std::string_view record) {
    const std::lock_guard lock(m_writeMutex);
    // One write() per record: after a kill the kernel has either all of it or a prefix (torn).
    std::size_t done = 0;
    while (done < record.size()) {
        const ssize_t n = ::write(m_fd, record.data() + done, record.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return ioError("cannot write the journal", m_path);
        }
        done += static_cast<std::size_t>(n);
    }
    return ++m_written;
}

base::Result<void> BulkJournal::syncUpTo(std::uint64_t sequence) {
    // Group commit: one fdatasync covers every record appended before it started.
    const std::lock_guard lock(m_syncMutex);
    if (m_synced >= sequence) {
        return base::Ok{};
    }
    std::uint64_t target = 0;
    {
        const std::lock_guard writeLock(m_writeMutex);
        target = m_written;
    }
    if (::fdatasync(m_fd) != 0) {
        return ioError("cannot sync the journal", m_path);
    }
    m_synced = target;
    return base::Ok{};
}

base::Result<void> BulkJournal::recordInFlight(std::size_t line) {
    auto seq = append("S " + std::to_string(line) + "\n");
    if (!seq) {
        return seq.error();
    }
    return m_syncInFlight ? syncUpTo(*seq) : base::Result<void>(base::Ok{});
}

base::Result<void> BulkJournal::recordDone(std::size_t line, bool encrypted) {
    // Not synced: losing it in a power cut leaves the line in flight (unconfirmed), never resent.
    auto seq = append("D " + std::to_string(line) + (encrypted ? " encrypted\n" : " plain\n"));
    if (!seq) {
        return seq.error();
    }
    return base::Ok{};
}

base::Result<void> BulkJournal::recordRefused(std::size_t line) {
    auto seq = append("R " + std::to_string(line) + "\n");
    if (!seq) {
        return seq.error();
    }
    return base::Ok{};
}

} // namespace sealpost::engine
