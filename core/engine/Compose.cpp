#include "engine/Compose.h"

#include "base/PercentEncode.h"
#include "mail/Envelope.h"
#include "mime/Address.h"
#include "mime/ContentType.h"
#include "mime/HeaderBlock.h"
#include "mime/TransferEncoding.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <openssl/rand.h>

namespace sealpost::engine {

using base::ErrorCode;

namespace {

constexpr mime::HeaderBlockLimits kHeaderLimits{.maxBytes = std::size_t{1024} * 1024, .maxFields = 2000};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool printableAscii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

base::Result<std::string> randomHex(std::size_t bytes) {
    std::array<unsigned char, 32> buf{};
    bytes = std::min(bytes, buf.size());
    if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
        return base::makeError(ErrorCode::CryptoFailure, "no random bytes for the message");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        out.push_back(kHex[buf[i] >> 4U]);
        out.push_back(kHex[buf[i] & 0xFU]);
    }
    return out;
}

std::vector<std::string> addressesOf(const mime::HeaderBlock& block, std::string_view name, bool& malformed) {
    std::vector<std::string> out;
    for (const auto& f : block.fields) {
        if (!iequals(f.name, name)) {
            continue;
        }
        const std::string value = f.value();
        auto list = mime::parseAddressList(value);
        if (list.empty() && value.find('@') != std::string::npos) {
            malformed = true;
        }
        out.insert(out.end(), list.begin(), list.end());
    }
    return out;
}

bool hasField(const mime::HeaderBlock& block, std::string_view name) {
    return std::any_of(block.fields.begin(), block.fields.end(),
                       [&](const mime::HeaderField& f) { return iequals(f.name, name); });
}

// "Name <addr>" with the name quoted or encoded as needed.
std::string mailbox(std::string_view name, std::string_view address) {
    if (name.empty()) {
        return std::string(address);
    }
    if (!printableAscii(name)) {
        return encodeHeaderText(name) + " <" + std::string(address) + ">";
    }
    const bool atoms = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == ' ' ||
               std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
    });
    if (atoms) {
        return std::string(name) + " <" + std::string(address) + ">";
    }
    std::string quoted = "\"";
    for (const char c : name) {
        if (c == '"' || c == '\\') {
            quoted.push_back('\\');
        }
        quoted.push_back(c);
    }
    return quoted + "\" <" + std::string(address) + ">";
}

// "Name: a, b, c" folded after a comma when a line would pass 76 characters.
std::string addressField(std::string_view name, const std::vector<std::string>& addresses) {
    std::string out = std::string(name) + ": ";
    std::size_t lineStart = 0;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        if (i > 0) {
            out += ",";
            if (out.size() - lineStart + addresses[i].size() + 1 > 76) {
                out += "\r\n";
                lineStart = out.size();
            }
            out += " ";
        }
        out += addresses[i];
    }
    return out + "\r\n";
}

std::vector<std::string> keep(const std::vector<std::string>& list, const std::vector<std::string>& removed) {
    std::vector<std::string> out;
    for (const auto& a : list) {
        const bool gone =
            std::any_of(removed.begin(), removed.end(), [&](const std::string& r) { return mime::sameAddress(a, r); });
        if (!gone) {
            out.push_back(a);
        }
    }
    return out;
}

// Every line ending CRLF.
std::string crlfText(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue; // the LF writes the pair
        }
        if (text[i] == '\n' || text[i] == '\r') {
            out += "\r\n";
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// 7bit when every line is short printable ASCII without trailing white space, else quoted-printable.
std::string textPart(std::string_view body) {
    std::string text = crlfText(body);
    if (!text.empty() && !text.ends_with("\r\n")) {
        text += "\r\n";
    }
    bool plain = true;
    std::size_t start = 0;
    while (plain && start < text.size()) {
        const std::size_t end = text.find("\r\n", start);
        const std::string_view line(text.data() + start, end - start);
        plain = line.size() <= 76 && printableAscii(line) && !line.ends_with(' ') && !line.starts_with("From ");
        start = end + 2;
    }
    if (plain) {
        return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text;
    }
    return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           mime::encodeQuotedPrintable(text);
}

std::string guessType(std::string_view fileName) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes{{
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".zip", "application/zip"},
        {".html", "text/html"},
        {".csv", "text/csv"},
        {".json", "application/json"},
        {".xml", "application/xml"},
        {".eml", "message/rfc822"},
    }};
    const std::string name = lower(fileName);
    for (const auto& [ext, type] : kTypes) {
        if (name.ends_with(ext)) {
            return std::string(type);
        }
    }
    return "application/octet-stream";
}

// filename="x" for plain ASCII names, RFC 2231 filename*=utf-8''%XX otherwise.
std::string fileNameParam(std::string_view name) {
    const bool simple = printableAscii(name) && name.find_first_of("\"\\") == std::string_view::npos;
    if (simple) {
        return "filename=\"" + std::string(name) + "\"";
    }
    // RFC 2231 attribute-chars stay (a subset: no braces); everything else is %XX.
    return "filename*=utf-8''" + base::percentEncode(name, "!#$&+-.^_`|~");
}

std::string attachmentPart(const Attachment& a) {
    const std::string type = a.contentType.empty() ? guessType(a.fileName) : a.contentType;
    const std::string param = fileNameParam(a.fileName);
    return "Content-Type: " + type + "\r\nContent-Disposition: attachment;\r\n " + param +
           "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encodeBase64(base::asBytes(a.data));
}

std::string quotedBody(const Draft& draft) {
    const ReplyContext& reply = *draft.reply;
    std::string out = draft.body;
    if (!out.empty() && !out.ends_with('\n')) {
        out += "\n";
    }
    out += "\n";
    if (!reply.originalFrom.empty()) {
        out += (reply.originalDate.empty() ? "" : "On " + reply.originalDate + ", ") + reply.originalFrom + " wrote:\n";
    } else {
        out += "The original message:\n";
    }
    std::string text = crlfText(reply.quotedText);
    if (!text.ends_with("\r\n")) {
        text += "\r\n";
    }
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find("\r\n", start);
        const std::string_view line(text.data() + start, end - start);
        out += line.starts_with('>') ? ">" : "> ";
        out += line;
        out += "\n";
        start = end + 2;
    }
    return out;
}

base::Result<ComposedMessage> composeFields(const Draft& draft, const ComposeOptions& options) {
    ComposedMessage m;
    if (mime::parseAddressList(draft.from).size() != 1) {
        return base::makeError(ErrorCode::InvalidArgument, "the sender address \"" + draft.from + "\" is not valid");
    }
    const auto to = keep(draft.to, options.removed);
    const auto cc = keep(draft.cc, options.removed);
    const auto bcc = keep(draft.bcc, options.removed);
    if (to.empty() && cc.empty() && bcc.empty()) {
        return base::makeError(ErrorCode::InvalidArgument, "the message has no recipient");
    }
    m.envelopeFrom = lower(draft.from);
    if (options.messageId.empty()) {
        auto token = randomHex(16);
        if (!token) {
            return token.error();
        }
        m.messageId = "<" + *token + "@" + m.envelopeFrom.substr(m.envelopeFrom.rfind('@') + 1) + ">";
    } else {
        m.messageId = options.messageId;
    }
    std::string head = "From: " + mailbox(draft.fromName, draft.from) + "\r\n";
    if (!to.empty()) {
        head += addressField("To", to);
    }
    if (!cc.empty()) {
        head += addressField("Cc", cc);
    }
    std::string tail = "Subject: " + encodeHeaderText(draft.subject) + "\r\nDate: " + rfc5322Date(options.now) +
                       "\r\nMessage-ID: " + m.messageId + "\r\n";
    if (draft.reply && !draft.reply->inReplyTo.empty()) {
        tail += "In-Reply-To: " + draft.reply->inReplyTo + "\r\n";
    }
    if (draft.reply && !draft.reply->references.empty()) {
        tail += addressField("References", draft.reply->references);
    }
    tail += "MIME-Version: 1.0\r\n";
    const std::string text = options.quote && draft.reply && !draft.reply->quotedText.empty()
                                 ? textPart(quotedBody(draft))
                                 : textPart(draft.body);
    std::string body;
    if (draft.attachments.empty()) {
        body = text;
    } else {
        auto b = randomHex(12);
        if (!b) {
            return b.error();
        }
        const std::string boundary = "=_" + *b; // "=_" never occurs in base64 or quoted-printable text
        body = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary + "\r\n" + text;
        for (const auto& a : draft.attachments) {
            body += "\r\n--" + boundary + "\r\n" + attachmentPart(a);
        }
        body += "\r\n--" + boundary + "--\r\n";
    }
    m.wire = head + tail + body;
    m.withBcc = bcc.empty() ? m.wire : head + addressField("Bcc", bcc) + tail + body;
    return m;
}

// The message with the removed addresses left out of its To, Cc and Bcc fields (those fields are
// rewritten as bare addr-specs; a field left empty goes). Other fields and the body are kept.
base::Result<std::string> withoutRemoved(const std::string& message, const std::vector<std::string>& removed) {
    auto block = mime::scanHeaderBlock(message, kHeaderLimits);
    if (!block) {
        return block.error();
    }
    const auto firstEol = message.find('\n');
    const std::string eol =
        firstEol != std::string::npos && firstEol > 0 && message[firstEol - 1] == '\r' ? "\r\n" : "\n";
    std::string out;
    for (const auto& f : block->fields) {
        if (!iequals(f.name, "To") && !iequals(f.name, "Cc") && !iequals(f.name, "Bcc")) {
            out.append(f.name).append(":").append(f.rawValue).append(eol);
            continue;
        }
        const auto kept = keep(mime::parseAddressList(f.value()), removed);
        if (kept.empty()) {
            continue;
        }
        std::string field = addressField(f.name, kept);
        for (auto pos = field.find("\r\n"); eol == "\n" && pos != std::string::npos; pos = field.find("\r\n", pos)) {
            field.erase(pos, 1);
        }
        out += field;
    }
    return out + eol + std::string(block->body);
}

base::Result<ComposedMessage> completeRaw(const Draft& draft, const ComposeOptions& options) {
    auto prepared = mail::prepareForSubmission(draft.raw);
    if (!prepared) {
        return base::makeError(prepared.error().code == ErrorCode::InvalidArgument ? ErrorCode::MalformedInput
                                                                                   : prepared.error().code,
                               prepared.error().detail);
    }
    auto block = mime::scanHeaderBlock(prepared->raw, kHeaderLimits);
    if (!block) {
        return block.error();
    }
    // `block` views into prepared->raw: ask it everything before that text is moved or replaced.
    const bool hasDate = hasField(*block, "Date");
    ComposedMessage m;
    m.messageId = prepared->envelope.messageId;
    m.envelopeFrom = prepared->envelope.from;
    m.withBcc = std::move(prepared->raw);
    if (!options.removed.empty()) {
        auto kept = withoutRemoved(m.withBcc, options.removed);
        if (!kept) {
            return kept.error();
        }
        m.withBcc = std::move(*kept);
    }
    if (!hasDate) {
        const auto firstEol = m.withBcc.find('\n');
        const bool crlf = firstEol != std::string::npos && firstEol > 0 && m.withBcc[firstEol - 1] == '\r';
        m.withBcc.insert(0, "Date: " + rfc5322Date(options.now) + (crlf ? "\r\n" : "\n"));
    }
    m.wire = removeBccFields(m.withBcc);
    return m;
}

} // namespace

base::Result<DraftAddresses> draftAddresses(const Draft& draft) {
    DraftAddresses out;
    if (draft.raw.empty()) {
        out.from = draft.from;
        out.to = draft.to;
        out.cc = draft.cc;
        out.bcc = draft.bcc;
        return out;
    }
    auto block = mime::scanHeaderBlock(draft.raw, kHeaderLimits);
    if (!block) {
        return block.error();
    }
    bool malformed = false;
    const auto from = addressesOf(*block, "From", malformed);
    out.to = addressesOf(*block, "To", malformed);
    out.cc = addressesOf(*block, "Cc", malformed);
    out.bcc = addressesOf(*block, "Bcc", malformed);
    if (malformed || from.size() != 1) {
        return base::makeError(ErrorCode::MalformedInput,
                               malformed ? "an address field of the message is not a valid address list"
                                         : "the message needs exactly one From address");
    }
    out.from = from.front();
    return out;
}

base::Result<ComposedMessage> composeMessage(const Draft& draft, const ComposeOptions& options) {
    return draft.raw.empty() ? composeFields(draft, options) : completeRaw(draft, options);
}

std::string rfc5322Date(base::TimePoint at) {
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return {buf.data(), n};
}

std::string encodeHeaderText(std::string_view text) {
    if (printableAscii(text)) {
        return std::string(text);
    }
    // Encoded words of at most 45 bytes (60 base64 characters, 72 with the frame), never
    // splitting a UTF-8 sequence.
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = std::min(start + 45, text.size());
        while (end < text.size() && end > start && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
            --end;
        }
        if (end == start) {
            end = std::min(start + 45, text.size());
        }
        if (!out.empty()) {
            out += "\r\n ";
        }
        out += "=?UTF-8?B?" + mime::encodeBase64(base::asBytes(text.substr(start, end - start)), 0) + "?=";
        start = end;
    }
    return out;
}

std::string removeBccFields(std::string_view message) {
    std::string out;
    out.reserve(message.size());
    std::size_t pos = 0;
    bool skipping = false;
    while (pos < message.size()) {
        std::size_t end = message.find('\n', pos);
        end = end == std::string_view::npos ? message.size() : end + 1;
        const std::string_view line = message.substr(pos, end - pos);
        if (line == "\n" || line == "\r\n") {
            out.append(message.substr(pos)); // the body, unchanged
            return out;
        }
        const bool continuation = line.front() == ' ' || line.front() == '\t';
        if (!continuation) {
            skipping = line.size() >= 4 && iequals(line.substr(0, 3), "bcc") &&
                       line.substr(3).find_first_not_of(" \t") != std::string_view::npos &&
                       line[line.find_first_not_of(" \t", 3)] == ':';
        }
        if (!skipping) {
            out.append(line);
        }
        pos = end;
    }
    return out;
}

bool isSmimeMessage(std::string_view message) {
    auto block = mime::scanHeaderBlock(message, kHeaderLimits);
    if (!block) {
        return false;
    }
    for (const auto& f : block->fields) {
        if (iequals(f.name, "Content-Type")) {
            const auto type = mime::ContentType::parse(f.rawValue);
            return type.is("multipart", "signed") || type.is("application", "pkcs7-mime") ||
                   type.is("application", "x-pkcs7-mime");
        }
    }
    return false;
}

} // namespace sealpost::engine
