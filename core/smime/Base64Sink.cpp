#include "smime/Base64Sink.h"

namespace sealpost::smime {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kLineChars = 76;

void encodeGroup(const std::uint8_t* in, std::size_t n, std::string& out) {
    const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (n > 1 ? std::uint32_t{in[1]} << 8 : 0u) |
                            (n > 2 ? std::uint32_t{in[2]} : 0u);
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += n > 1 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += n > 2 ? kAlphabet[v & 0x3F] : '=';
}

} // namespace

bool Base64Sink::flushLine(bool final) {
    if (m_line.size() < kLineChars && !final) {
        return true;
    }
    if (m_line.empty()) {
        return true;
    }
    m_line += "\r\n";
    const bool ok = m_target.write(base::asBytes(m_line));
    m_line.clear();
    return ok;
}

bool Base64Sink::write(base::ByteView data) {
    std::size_t i = 0;
    while (i < data.size()) {
        if (m_pendingSize > 0 || data.size() - i < 3) {
            m_pending[m_pendingSize++] = data[i++];
            if (m_pendingSize < 3) {
                continue;
            }
            encodeGroup(m_pending.data(), 3, m_line);
            m_pendingSize = 0;
        } else {
            encodeGroup(data.data() + i, 3, m_line);
            i += 3;
        }
        if (m_line.size() >= kLineChars && !flushLine(false)) {
            return false;
        }
    }
    return true;
}

bool Base64Sink::finish() {
    if (m_pendingSize > 0) {
        encodeGroup(m_pending.data(), m_pendingSize, m_line);
        m_pendingSize = 0;
    }
    return flushLine(true);
}

} // namespace sealpost::smime
