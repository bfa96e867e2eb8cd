#include "crypto/CmsStream.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

namespace sealpost::crypto {

using base::ErrorCode;

namespace {

constexpr std::size_t kBufferSize = std::size_t{64} * 1024;
constexpr std::size_t kMaxEnvelope = 1 << 20; // every field but the encrypted content, together
constexpr int kMaxDepth = 32;

// DER of the two content types this reader accepts, OID tag and length included.
constexpr std::array<std::uint8_t, 11> kEnvelopedData = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                                         0xF7, 0x0D, 0x01, 0x07, 0x03};
constexpr std::array<std::uint8_t, 13> kAuthEnvelopedData = {0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                                             0x0D, 0x01, 0x09, 0x10, 0x01, 0x17};

base::Error malformed(const std::string& what) {
    return base::makeError(ErrorCode::MalformedInput, "CMS stream: " + what);
}

struct Header {
    std::uint8_t tag = 0;
    bool indefinite = false;
    std::size_t length = 0; // content length when definite
    [[nodiscard]] bool constructed() const { return (tag & 0x20) != 0; }
};

// Where a constructed element ends: at its end-of-contents octets, or at a byte offset.
struct Frame {
    bool indefinite = false;
    std::uint64_t end = 0;
};

// Pulls BER from the source through a fixed buffer; keeps no more than the buffer.
class BerReader {
public:
    explicit BerReader(base::ByteSource& in) : m_in(in), m_buffer(kBufferSize) {}

    [[nodiscard]] std::uint64_t offset() const { return m_consumed; }

    // Tag and length; raw != nullptr: the header octets are appended to it.
    base::Result<Header> header(base::Bytes* raw) {
        auto first = byte(raw);
        if (!first) {
            return first.error();
        }
        Header h;
        h.tag = *first;
        if ((h.tag & 0x1F) == 0x1F) {
            return malformed("multi-byte tag"); // none in CMS
        }
        auto len = byte(raw);
        if (!len) {
            return len.error();
        }
        if (*len == 0x80) {
            if (!h.constructed()) {
                return malformed("indefinite length on a primitive element");
            }
            h.indefinite = true;
            return h;
        }
        if (*len < 0x80) {
            h.length = *len;
            return h;
        }
        const std::size_t n = *len & 0x7FU;
        if (n > sizeof(std::size_t) || n == 0x7F) {
            return malformed("length too large");
        }
        for (std::size_t i = 0; i < n; ++i) {
            auto b = byte(raw);
            if (!b) {
                return b.error();
            }
            if ((h.length >> (8 * (sizeof(std::size_t) - 1))) != 0) {
                return malformed("length too large");
            }
            h.length = (h.length << 8) | *b;
        }
        return h;
    }

    // A whole element (header included) appended to `raw`, which must stay under `budget` bytes.
    base::Result<void> element(base::Bytes& raw, std::size_t budget, int depth = 0) {
        if (depth > kMaxDepth) {
            return malformed("nested too deeply");
        }
        auto h = header(&raw);
        if (!h) {
            return h.error();
        }
        if (!h->indefinite) {
            if (h->length > budget || raw.size() > budget - h->length) {
                return base::makeError(ErrorCode::LimitExceeded, "CMS stream: envelope larger than 1 MiB");
            }
            return copy(h->length, raw);
        }
        for (;;) {
            auto done = endOfContents(&raw);
            if (!done) {
                return done.error();
            }
            if (*done) {
                return {};
            }
            if (auto child = element(raw, budget, depth + 1); !child) {
                return child;
            }
        }
    }

    [[nodiscard]] Frame frame(const Header& h) const { return Frame{h.indefinite, m_consumed + h.length}; }

    // True (and the end-of-contents octets consumed) when `f` ends here.
    base::Result<bool> atEnd(const Frame& f) {
        if (!f.indefinite) {
            if (m_consumed > f.end) {
                return malformed("element overruns its container");
            }
            return m_consumed == f.end;
        }
        return endOfContents(nullptr);
    }

    // Appends the next n bytes to `out` (a std::string or base::Bytes).
    template <typename Out> base::Result<void> copy(std::size_t n, Out& out) {
        while (n > 0) {
            if (m_pos == m_end) {
                if (auto filled = fill(); !filled) {
                    return filled.error();
                } else if (!*filled) {
                    return malformed("truncated");
                }
            }
            const std::size_t take = std::min(n, m_end - m_pos);
            const auto* from = m_buffer.data() + m_pos;
            out.insert(out.end(), from, from + take);
            m_pos += take;
            m_consumed += take;
            n -= take;
        }
        return {};
    }

    // The next tag, not consumed.
    base::Result<std::uint8_t> peek() {
        if (m_pos == m_end) {
            if (auto filled = fill(); !filled) {
                return filled.error();
            } else if (!*filled) {
                return malformed("truncated");
            }
        }
        return m_buffer[m_pos];
    }

    // Reads the source to its end, ignoring the bytes.
    base::Result<void> drain() {
        m_pos = m_end;
        for (;;) {
            auto filled = fill();
            if (!filled) {
                return filled.error();
            }
            if (!*filled) {
                return {};
            }
            m_pos = m_end;
        }
    }

private:
    // False at the end of the source.
    base::Result<bool> fill() {
        if (m_pos > 0) {
            std::memmove(m_buffer.data(), m_buffer.data() + m_pos, m_end - m_pos);
            m_end -= m_pos;
            m_pos = 0;
        }
        auto n = m_in.read(std::span(m_buffer).subspan(m_end));
        if (!n) {
            return n.error();
        }
        m_end += *n;
        return *n > 0;
    }

    base::Result<std::uint8_t> byte(base::Bytes* raw) {
        if (m_pos == m_end) {
            if (auto filled = fill(); !filled) {
                return filled.error();
            } else if (!*filled) {
                return malformed("truncated");
            }
        }
        const std::uint8_t b = m_buffer[m_pos++];
        ++m_consumed;
        if (raw != nullptr) {
            raw->push_back(b);
        }
        return b;
    }

    // At two zero octets: consumes them (appending them to raw) and returns true.
    base::Result<bool> endOfContents(base::Bytes* raw) {
        while (m_end - m_pos < 2) {
            auto filled = fill();
            if (!filled) {
                return filled.error();
            }
            if (!*filled) {
                return malformed("truncated");
            }
        }
        if (m_buffer[m_pos] != 0 || m_buffer[m_pos + 1] != 0) {
            return false;
        }
        m_pos += 2;
        m_consumed += 2;
        if (raw != nullptr) {
            raw->insert(raw->end(), {0, 0});
        }
        return true;
    }

    base::ByteSource& m_in;
    std::vector<std::uint8_t> m_buffer;
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
    std::uint64_t m_consumed = 0;
};

void appendLength(base::Bytes& out, std::size_t length) {
    if (length < 0x80) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    std::array<std::uint8_t, sizeof(std::size_t)> digits{};
    std::size_t n = 0;
    for (std::size_t l = length; l > 0; l >>= 8) {
        digits[n++] = static_cast<std::uint8_t>(l & 0xFFU);
    }
    out.push_back(static_cast<std::uint8_t>(0x80U | n));
    for (std::size_t i = n; i > 0; --i) {
        out.push_back(digits[i - 1]);
    }
}

base::Bytes tlv(std::uint8_t tag, const base::Bytes& content) {
    base::Bytes out{tag};
    appendLength(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

base::Result<Header> expect(BerReader& in, std::uint8_t tag, const char* what) {
    auto h = in.header(nullptr);
    if (!h) {
        return h.error();
    }
    if (h->tag != tag) {
        return malformed(std::string("expected ") + what);
    }
    return h;
}

// The encrypted content: [0] IMPLICIT OCTET STRING, primitive or constructed of primitive chunks.
base::Result<void> readContent(BerReader& in, const Header& h, std::string& content) {
    if (h.tag == 0x80) {
        return in.copy(h.length, content);
    }
    if (h.tag != 0xA0) {
        return malformed("no encrypted content");
    }
    const Frame chunks = in.frame(h);
    for (;;) {
        auto end = in.atEnd(chunks);
        if (!end) {
            return end.error();
        }
        if (*end) {
            return {};
        }
        auto chunk = in.header(nullptr);
        if (!chunk) {
            return chunk.error();
        }
        if (chunk->tag == 0x24) {
            return base::makeError(ErrorCode::Unsupported, "CMS stream: nested constructed content");
        }
        if (chunk->tag != 0x04) {
            return malformed("encrypted content chunk is not an OCTET STRING");
        }
        if (auto copied = in.copy(chunk->length, content); !copied) {
            return copied;
        }
    }
}

// Elements until the end of `f`, appended to raw.
base::Result<void> readRest(BerReader& in, const Frame& f, base::Bytes& raw) {
    for (;;) {
        auto end = in.atEnd(f);
        if (!end) {
            return end.error();
        }
        if (*end) {
            return {};
        }
        if (auto e = in.element(raw, kMaxEnvelope); !e) {
            return e;
        }
    }
}

base::Result<void> expectEnd(BerReader& in, const Frame& f, const char* what) {
    auto end = in.atEnd(f);
    if (!end) {
        return end.error();
    }
    return *end ? base::Result<void>() : base::Result<void>(malformed(std::string("unexpected data after ") + what));
}

// ContentInfo { contentType, [0] EXPLICIT (Auth)EnvelopedData { version, originatorInfo [0]
// OPTIONAL, recipientInfos SET, encryptedContentInfo { contentType, contentEncryptionAlgorithm,
// encryptedContent [0] }, attributes / mac ... } }: every field kept but encryptedContent.
base::Result<base::Bytes> readEnvelope(BerReader& in, std::string& content) {
    auto info = expect(in, 0x30, "a ContentInfo SEQUENCE");
    if (!info) {
        return info.error();
    }
    const Frame infoFrame = in.frame(*info);
    base::Bytes oid;
    if (auto e = in.element(oid, 64); !e) {
        return e.error();
    }
    if (!std::equal(oid.begin(), oid.end(), kEnvelopedData.begin(), kEnvelopedData.end()) &&
        !std::equal(oid.begin(), oid.end(), kAuthEnvelopedData.begin(), kAuthEnvelopedData.end())) {
        return malformed("not an (Auth)EnvelopedData");
    }
    auto explicitTag = expect(in, 0xA0, "[0] content");
    if (!explicitTag) {
        return explicitTag.error();
    }
    const Frame explicitFrame = in.frame(*explicitTag);
    auto body = expect(in, 0x30, "an (Auth)EnvelopedData SEQUENCE");
    if (!body) {
        return body.error();
    }
    const Frame bodyFrame = in.frame(*body);
    base::Bytes leading; // version, originatorInfo, recipientInfos
    for (;;) {
        auto end = in.atEnd(bodyFrame);
        if (!end) {
            return end.error();
        }
        auto tag = in.peek();
        if (*end || !tag) {
            return *end ? malformed("no EncryptedContentInfo") : tag.error();
        }
        if (*tag == 0x30) {
            break;
        }
        if (auto e = in.element(leading, kMaxEnvelope); !e) {
            return e.error();
        }
    }
    auto eciHeader = expect(in, 0x30, "EncryptedContentInfo");
    if (!eciHeader) {
        return eciHeader.error();
    }
    const Frame eciFrame = in.frame(*eciHeader);
    base::Bytes eci; // contentType, contentEncryptionAlgorithm
    if (auto e = in.element(eci, 64); !e || eci.front() != 0x06) {
        return e ? malformed("EncryptedContentInfo without contentType") : e.error();
    }
    const std::size_t algorithmAt = eci.size();
    if (auto e = in.element(eci, kMaxEnvelope); !e || eci[algorithmAt] != 0x30) {
        return e ? malformed("EncryptedContentInfo without contentEncryptionAlgorithm") : e.error();
    }
    if (auto end = in.atEnd(eciFrame); !end || *end) {
        return end ? malformed("no encrypted content (detached)") : end.error();
    }
    auto contentHeader = in.header(nullptr);
    if (!contentHeader) {
        return contentHeader.error();
    }
    if (auto c = readContent(in, *contentHeader, content); !c) {
        return c.error();
    }
    if (auto e = expectEnd(in, eciFrame, "the encrypted content"); !e) {
        return e.error();
    }
    base::Bytes trailing; // attributes, GCM tag
    if (auto r = readRest(in, bodyFrame, trailing); !r) {
        return r.error();
    }
    if (auto e = expectEnd(in, explicitFrame, "the enveloped data"); !e) {
        return e.error();
    }
    if (auto e = expectEnd(in, infoFrame, "the content"); !e) {
        return e.error();
    }
    base::Bytes fields = std::move(leading);
    const base::Bytes eciDer = tlv(0x30, eci);
    fields.insert(fields.end(), eciDer.begin(), eciDer.end());
    fields.insert(fields.end(), trailing.begin(), trailing.end());
    base::Bytes infoContent = std::move(oid);
    const base::Bytes wrapped = tlv(0xA0, tlv(0x30, fields));
    infoContent.insert(infoContent.end(), wrapped.begin(), wrapped.end());
    return tlv(0x30, infoContent);
}

} // namespace

base::Result<StreamedEnvelope> readEnvelopedStream(base::ByteSource& in, std::size_t contentSizeHint) {
    BerReader reader(in);
    StreamedEnvelope out;
    out.content.reserve(contentSizeHint);
    auto envelope = readEnvelope(reader, out.content);
    if (!envelope) {
        return envelope.error();
    }
    if (auto drained = reader.drain(); !drained) {
        return drained.error();
    }
    out.envelope = std::move(envelope).value();
    return out;
}

} // namespace sealpost::crypto
