#include "mail/Envelope.h"

#include "mime/Address.h"
#include "mime/Ascii.h"
#include "mime/HeaderBlock.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <openssl/rand.h>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

constexpr mime::HeaderBlockLimits kHeaderLimits{std::size_t{1024} * 1024U, 4096U};

base::Result<mime::HeaderBlock> scanHeader(std::string_view message) {
    auto block = mime::scanHeaderBlock(message, kHeaderLimits);
    if (!block) {
        return block.error();
    }
    if (block->fields.empty()) {
        return base::makeError(ErrorCode::MalformedInput, "the message has no header");
    }
    return block;
}

// Every addr-spec of every field named `name`; MalformedInput when one is not an address list.
base::Result<std::vector<std::string>> addressesOf(const mime::HeaderBlock& block, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& field : block.fields) {
        if (!mime::equalsIgnoreCase(field.name, name)) {
            continue;
        }
        const std::string value = field.value();
        if (value.empty()) {
            continue; // "Bcc:" with nothing in it is allowed (RFC 5322 3.6.3)
        }
        auto list = mime::parseAddressList(value);
        if (list.empty()) {
            return base::makeError(ErrorCode::MalformedInput,
                                   "the " + std::string(name) + " field is not a valid address list");
        }
        out.insert(out.end(), list.begin(), list.end());
    }
    return out;
}

std::string firstValue(const mime::HeaderBlock& block, std::string_view name) {
    for (const auto& field : block.fields) {
        if (mime::equalsIgnoreCase(field.name, name)) {
            return field.value();
        }
    }
    return {};
}

std::string randomToken() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return {};
    }
    static constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuv";
    std::string out;
    for (const unsigned char b : bytes) {
        out.push_back(kDigits[b & 0x1FU]);
        out.push_back(kDigits[b >> 5U]);
    }
    return out;
}

} // namespace

base::Result<Envelope> envelopeOf(std::string_view message) {
    auto block = scanHeader(message);
    if (!block) {
        return block.error();
    }
    auto from = addressesOf(*block, "From");
    auto sender = addressesOf(*block, "Sender");
    if (!from) {
        return from.error();
    }
    if (!sender) {
        return sender.error();
    }
    Envelope envelope;
    if (sender->size() == 1) {
        envelope.from = sender->front();
    } else if (!sender->empty()) {
        return base::makeError(ErrorCode::MalformedInput, "the Sender field names more than one address");
    } else if (from->size() == 1) {
        envelope.from = from->front();
    } else if (from->empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "the message has no From address");
    } else {
        return base::makeError(ErrorCode::InvalidArgument, "the message has several From addresses and no Sender");
    }
    for (const char* name : {"To", "Cc", "Bcc"}) {
        auto list = addressesOf(*block, name);
        if (!list) {
            return list.error();
        }
        for (auto& address : *list) {
            const bool seen = std::any_of(envelope.recipients.begin(), envelope.recipients.end(),
                                          [&](const std::string& r) { return mime::sameAddress(r, address); });
            if (!seen) {
                envelope.recipients.push_back(std::move(address));
            }
        }
    }
    if (envelope.recipients.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "the message has no recipient (To, Cc or Bcc)");
    }
    envelope.messageId = firstValue(*block, "Message-ID");
    return envelope;
}

base::Result<PreparedMessage> prepareForSubmission(std::string message) {
    auto envelope = envelopeOf(message);
    if (!envelope) {
        return envelope.error();
    }
    PreparedMessage prepared;
    if (envelope->messageId.empty()) {
        const std::string token = randomToken();
        if (token.empty()) {
            return base::makeError(ErrorCode::CryptoFailure, "no random bytes for a Message-ID");
        }
        const std::string& from = envelope->from;
        const std::string domain = from.substr(from.rfind('@') + 1);
        envelope->messageId = "<" + token + "@" + domain + ">";
        const auto firstEol = message.find('\n');
        const bool crlf = firstEol != std::string::npos && firstEol > 0 && message[firstEol - 1] == '\r';
        message.insert(0, "Message-ID: " + envelope->messageId + (crlf ? "\r\n" : "\n"));
        prepared.messageIdAdded = true;
    }
    prepared.raw = std::move(message);
    prepared.envelope = std::move(envelope).value();
    return prepared;
}

namespace {

void appendCrlf(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            out.push_back('\r');
        }
        out.push_back(text[i]);
    }
}

} // namespace

SubmissionSource::SubmissionSource(std::string_view message) {
    auto block = mime::scanHeaderBlock(message, kHeaderLimits);
    std::string_view header = message;
    if (block) {
        header = message.substr(0, static_cast<std::size_t>(block->body.data() - message.data()));
        m_body = block->body;
        // Copy the header field by field, leaving out Bcc (each field runs to the next one's name).
        const char* cursor = header.data();
        for (std::size_t i = 0; i < block->fields.size(); ++i) {
            const char* start = block->fields[i].name.data();
            const char* end = i + 1 < block->fields.size() ? block->fields[i + 1].name.data()
                                                           : block->rawHeader.data() + block->rawHeader.size();
            appendCrlf(m_header, std::string_view(cursor, static_cast<std::size_t>(start - cursor)));
            if (!mime::equalsIgnoreCase(block->fields[i].name, "Bcc")) {
                appendCrlf(m_header, std::string_view(start, static_cast<std::size_t>(end - start)));
            }
            cursor = end;
        }
        appendCrlf(m_header,
                   std::string_view(cursor, static_cast<std::size_t>(header.data() + header.size() - cursor)));
    } else {
        m_body = message; // envelopeOf() refused such a message already; send it unchanged
    }
    m_size = m_header.size() + m_body.size();
    for (std::size_t i = 0; i < m_body.size(); ++i) {
        if (m_body[i] == '\n' && (i == 0 || m_body[i - 1] != '\r')) {
            ++m_size;
        }
    }
}

base::Result<std::size_t> SubmissionSource::read(std::span<std::uint8_t> out) {
    std::size_t n = 0;
    if (m_headerPos < m_header.size()) {
        n = std::min(out.size(), m_header.size() - m_headerPos);
        std::memcpy(out.data(), m_header.data() + m_headerPos, n);
        m_headerPos += n;
    }
    while (n < out.size()) {
        if (m_pendingLf) {
            out[n++] = '\n';
            m_pendingLf = false;
            ++m_bodyPos;
            continue;
        }
        if (m_bodyPos >= m_body.size()) {
            break;
        }
        // Copy up to the next LF in one go.
        const std::size_t room = out.size() - n;
        const std::size_t lf = m_body.find('\n', m_bodyPos);
        const std::size_t stop = lf == std::string_view::npos ? m_body.size() : lf;
        const std::size_t chunk = std::min(room, stop - m_bodyPos);
        std::memcpy(out.data() + n, m_body.data() + m_bodyPos, chunk);
        n += chunk;
        m_bodyPos += chunk;
        if (m_bodyPos == lf && n < out.size()) {
            if (lf > 0 && m_body[lf - 1] == '\r') {
                out[n++] = '\n';
                ++m_bodyPos;
            } else {
                out[n++] = '\r';
                m_pendingLf = true;
            }
        }
    }
    return n;
}

bool SubmissionSource::rewind() {
    m_headerPos = 0;
    m_bodyPos = 0;
    m_pendingLf = false;
    return true;
}

} // namespace sealpost::mail
