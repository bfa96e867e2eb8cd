#include "smime/Base64Sink.h"

#include <algorithm>

namespace sealpost::smime {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kBlock = std::size_t{64} * 1024; // output is handed on in blocks of about this size

} // namespace

Base64Sink::Base64Sink(base::ByteSink& target) : m_target(target) {
    m_out.reserve(kBlock + 128);
}

void Base64Sink::encodeLine(const std::uint8_t* in, std::size_t n) {
    const std::size_t start = m_out.size();
    m_out.resize(start + (n + 2) / 3 * 4 + 2);
    char* o = m_out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        *o++ = kAlphabet[v >> 18];
        *o++ = kAlphabet[(v >> 12) & 0x3F];
        *o++ = kAlphabet[(v >> 6) & 0x3F];
        *o++ = kAlphabet[v & 0x3F];
    }
    if (const std::size_t rest = n - i; rest > 0) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (rest > 1 ? std::uint32_t{in[i + 1]} << 8 : 0U);
        *o++ = kAlphabet[v >> 18];
        *o++ = kAlphabet[(v >> 12) & 0x3F];
        *o++ = rest > 1 ? kAlphabet[(v >> 6) & 0x3F] : '=';
        *o++ = '=';
    }
    *o++ = '\r';
    *o++ = '\n';
}

bool Base64Sink::flush() {
    if (m_out.empty()) {
        return true;
    }
    const bool ok = m_target.write(base::asBytes(m_out));
    m_out.clear();
    return ok;
}

bool Base64Sink::write(base::ByteView data) {
    std::size_t i = 0;
    if (m_pendingSize > 0) {
        const std::size_t take = std::min(kLineBytes - m_pendingSize, data.size());
        std::copy_n(data.data(), take, m_pending.data() + m_pendingSize);
        m_pendingSize += take;
        i = take;
        if (m_pendingSize < kLineBytes) {
            return true;
        }
        encodeLine(m_pending.data(), kLineBytes);
        m_pendingSize = 0;
    }
    for (; i + kLineBytes <= data.size(); i += kLineBytes) {
        encodeLine(data.data() + i, kLineBytes);
        if (m_out.size() >= kBlock && !flush()) {
            return false;
        }
    }
    m_pendingSize = data.size() - i;
    std::copy_n(data.data() + i, m_pendingSize, m_pending.data());
    return true;
}

bool Base64Sink::finish() {
    if (m_pendingSize > 0) {
        encodeLine(m_pending.data(), m_pendingSize);
        m_pendingSize = 0;
    }
    return flush();
}

} // namespace sealpost::smime
