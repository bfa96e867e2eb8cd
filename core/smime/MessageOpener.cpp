#include "smime/MessageOpener.h"

#include "crypto/CmsDecryptor.h"
#include "crypto/CmsStream.h"
#include "mime/TransferEncoding.h"
#include "smime/LayerWalker.h"
#include "smime/OpenedAssembly.h"
#include "smime/ReportFinisher.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace sealpost::smime {

namespace {

constexpr std::size_t kChunk = std::size_t{64} * 1024;

// The report and the pieces, once the walk is done.
void finish(LayerWalker& walker, OpenedMessage& result) {
    ReportFinisher(walker.tree(), result.report).finish(walker.top(), walker.contentRoot());
    Pieces pieces = walker.takePieces();
    if (walker.tree().rootLayers > 0) {
        // The top layers are gone: the original transport header goes on the opened content.
        const std::string& header = result.keep(assembleTopHeader(walker.top(), walker.shownTop(), result.report));
        const auto bodyStart = static_cast<std::ptrdiff_t>(std::min(walker.shownTop().bodyPiece, pieces.size()));
        Pieces assembled{header};
        assembled.insert(assembled.end(), pieces.begin() + bodyStart, pieces.end());
        pieces = std::move(assembled);
    }
    result.setPieces(std::move(pieces));
}

base::Result<std::size_t> readSome(base::ByteSource& source, std::string& into, std::size_t at) {
    return source.read(std::span(reinterpret_cast<std::uint8_t*>(into.data()) + at, into.size() - at));
}

// The rest of `source` appended to `out`; one allocation when the size is known.
base::Result<void> readRest(base::ByteSource& source, std::string& out) {
    std::size_t used = out.size();
    if (auto size = source.size()) {
        out.resize(std::max(out.size(), *size + 1)); // +1: the end is seen without growing
    }
    for (;;) {
        if (used == out.size()) {
            out.resize(std::max(out.size() * 2, used + kChunk));
        }
        auto n = readSome(source, out, used);
        if (!n) {
            return n.error();
        }
        if (*n == 0) {
            break;
        }
        used += *n;
    }
    out.resize(used);
    return {};
}

// The body of a base64 entity decoded as it is read: first what is left of the header read, then
// the source. Decodes exactly what decodeBase64() on the whole body would, with the same errors.
class Base64BodySource final : public base::ByteSource {
public:
    Base64BodySource(std::string_view head, base::ByteSource& rest) : m_head(head), m_rest(rest) {}

    [[nodiscard]] base::Result<std::size_t> read(std::span<std::uint8_t> out) override {
        while (m_pos == m_decoded.size()) {
            if (m_ended) {
                return std::size_t{0};
            }
            if (auto next = decodeNext(); !next) {
                return next.error();
            }
        }
        const std::size_t n = std::min(out.size(), m_decoded.size() - m_pos);
        std::memcpy(out.data(), m_decoded.data() + m_pos, n);
        m_pos += n;
        return n;
    }
    [[nodiscard]] bool rewind() override { return false; }

private:
    base::Result<void> decodeNext() {
        std::string_view text;
        if (!m_head.empty()) {
            text = m_head.substr(0, kChunk);
            m_head.remove_prefix(text.size());
        } else {
            m_text.resize(kChunk);
            auto n = m_rest.read(std::span(reinterpret_cast<std::uint8_t*>(m_text.data()), m_text.size()));
            if (!n) {
                return n.error();
            }
            if (*n == 0) {
                m_ended = true;
                m_decoded.clear();
                m_pos = 0;
                return m_decoder.finish();
            }
            text = std::string_view(m_text).substr(0, *n);
        }
        m_decoded.resize(mime::Base64Decoder::maxDecodedSize(text.size()));
        auto n = m_decoder.decode(text, m_decoded.data());
        if (!n) {
            return n.error();
        }
        m_decoded.resize(*n);
        m_pos = 0;
        return {};
    }

    std::string_view m_head;
    base::ByteSource& m_rest;
    mime::Base64Decoder m_decoder;
    std::string m_text;
    std::vector<std::uint8_t> m_decoded;
    std::size_t m_pos = 0;
    bool m_ended = false;
};

// Where the first empty line starts, searching `head` from `from`; `bodyStart` gets the offset
// after it. npos when none yet (or the text ends before its line end can be told).
std::size_t findBlankLine(std::string_view head, std::size_t& from, std::size_t& bodyStart) {
    if (from == 0 && !head.empty()) {
        if (head[0] == '\n' || (head.size() > 1 && head[0] == '\r' && head[1] == '\n')) {
            bodyStart = head[0] == '\n' ? 1 : 2;
            return 0;
        }
    }
    for (std::size_t q = head.find('\n', from); q != std::string_view::npos; q = head.find('\n', q + 1)) {
        if (q + 2 >= head.size()) {
            from = q; // the next line's first two octets are not here yet
            return std::string_view::npos;
        }
        if (head[q + 1] == '\n') {
            bodyStart = q + 2;
            return q + 1;
        }
        if (head[q + 1] == '\r' && head[q + 2] == '\n') {
            bodyStart = q + 3;
            return q + 1;
        }
    }
    from = head.size();
    return std::string_view::npos;
}

// The streamed path for an encrypted message; nullopt when it does not apply or does not succeed
// (the caller opens the message whole then).
using Streamed = base::Result<std::optional<OpenedMessage>>;

// "Open it whole instead."
Streamed notStreamed() {
    return std::optional<OpenedMessage>();
}

Streamed openStreamed(base::ByteSource& source, const OpenOptions& options) {
    if (options.maxLayers < 1) {
        return notStreamed();
    }
    // 1. The top-level header block, up to its empty line.
    std::string head;
    std::size_t searched = 0;
    std::size_t bodyStart = 0;
    std::size_t headerEnd = std::string_view::npos;
    while (headerEnd == std::string_view::npos) {
        if (head.size() > options.limits.maxHeaderBytes) {
            return notStreamed(); // too large a header: reported by the whole parse
        }
        const std::size_t used = head.size();
        head.resize(used + kChunk);
        auto n = readSome(source, head, used);
        if (!n) {
            return n.error();
        }
        head.resize(used + *n);
        if (*n == 0) {
            return notStreamed(); // no body: nothing worth streaming
        }
        headerEnd = findBlankLine(head, searched, bodyStart);
    }
    if (headerEnd == 0 || bodyStart > options.limits.maxHeaderBytes) {
        return notStreamed();
    }
    std::string header = head.substr(0, bodyStart);
    {
        // Exactly the header the whole parse would find (it may end the header earlier).
        auto top = mime::parseEntity(header, options.limits);
        if (!top || top->rawHeader.size() != headerEnd || !top->body.empty() || top->isMultipart() ||
            !LayerWalker::isEnvelopedCandidate(*top) || top->transferEncoding != "base64") {
            return notStreamed();
        }
    }
    // 2. The CMS from the base64 body: the envelope parsed, the ciphertext in one buffer.
    std::size_t hint = 0;
    if (auto size = source.size(); size && *size > bodyStart) {
        hint = mime::Base64Decoder::maxDecodedSize(*size - bodyStart);
    }
    auto streamed = [&] {
        Base64BodySource body(std::string_view(head).substr(bodyStart), source);
        return crypto::readEnvelopedStream(body, hint);
    }();
    std::string().swap(head);
    if (!streamed) {
        return notStreamed();
    }
    // 3. Decrypted in place: the buffer holds the ciphertext, then the plaintext.
    auto decrypted = [&]() -> base::Result<crypto::Decrypted> {
        auto parsed = crypto::CmsDecryptor::parse(streamed->envelope);
        if (!parsed) {
            return parsed.error();
        }
        return parsed->decryptDetached(options.identities, std::move(streamed->content));
    }();
    if (!decrypted) {
        return notStreamed(); // also shows the part undecrypted, as the whole open does
    }
    // 4. Opened as openMessage(std::string&&) opens it after decrypting the top layer.
    OpenedMessage result;
    std::string& input = result.keep(std::move(header));
    auto top = mime::parseEntity(input, options.limits);
    if (!top) {
        return top.error();
    }
    LayerWalker walker(options, result, *top, &input);
    walker.walkDecrypted(std::move(decrypted).value());
    finish(walker, result);
    return std::optional<OpenedMessage>(std::move(result));
}

} // namespace

base::Result<OpenedMessage> openMessage(std::string&& message, const OpenOptions& options) {
    OpenedMessage result;
    std::string& input = result.keep(std::move(message));
    auto top = mime::parseEntity(input, options.limits);
    if (!top) {
        return top.error();
    }
    LayerWalker walker(options, result, *top, &input);
    walker.walk();
    finish(walker, result);
    return result;
}

base::Result<OpenedMessage> openMessage(base::ByteSource& source, const OpenOptions& options) {
    std::string message;
    if (source.rewind()) {
        auto streamed = openStreamed(source, options);
        if (!streamed) {
            return streamed.error();
        }
        if (*streamed) {
            return std::move(**streamed);
        }
        if (!source.rewind()) {
            return base::makeError(base::ErrorCode::Io, "the input cannot be read a second time");
        }
    }
    if (auto read = readRest(source, message); !read) {
        return read.error();
    }
    return openMessage(std::move(message), options);
}

base::Result<OpenedMessage> openMessage(std::string_view message, const OpenOptions& options) {
    return openMessage(std::string(message), options);
}

} // namespace sealpost::smime
