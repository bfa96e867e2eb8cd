#include "acme/EmailChallenge.h"

#include "crypto/Jose.h"
#include "mime/Address.h"
#include "mime/Ascii.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <openssl/evp.h>
#include <optional>
#include <vector>

namespace sealpost::acme {

using base::ErrorCode;

namespace {

constexpr std::string_view kBeginMarker = "-----BEGIN ACME RESPONSE-----";
constexpr std::string_view kEndMarker = "-----END ACME RESPONSE-----";
constexpr std::string_view kSubjectPrefix = "ACME:";
constexpr int kMaxPartDepth = 4; // multipart levels searched for the reply's text part

bool isBase64UrlChar(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool isBase64Url(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), isBase64UrlChar);
}

bool isSpace(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string withoutWhitespace(std::string_view s) {
    std::string out;
    std::copy_if(s.begin(), s.end(), std::back_inserter(out), [](char c) { return !isSpace(c); });
    return out;
}

// Runs of whitespace (folding included) as one space, trimmed.
std::string normalizeSpace(std::string_view s) {
    std::string out;
    bool pendingSpace = false;
    for (char c : s) {
        if (isSpace(c)) {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace) {
            out += ' ';
            pendingSpace = false;
        }
        out += c;
    }
    return out;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && mime::equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// A msg-id's content: printable ASCII without spaces and angle brackets, with an '@'.
bool isMessageIdContent(std::string_view id) noexcept {
    return !id.empty() && id.find('@') != std::string_view::npos &&
           std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 127 && c != '<' && c != '>'; });
}

std::string withoutBrackets(std::string_view value) {
    std::string_view v = mime::trimWsp(value);
    if (v.size() >= 2 && v.front() == '<' && v.back() == '>') {
        v = v.substr(1, v.size() - 2);
    }
    return std::string(v);
}

// True when `text` is exactly one addr-spec (no display name, nothing that could inject a field).
bool isSingleAddrSpec(std::string_view text) {
    if (text.find_first_of("\r\n<>,") != std::string_view::npos) {
        return false;
    }
    const auto addresses = mime::parseAddressList(text);
    return addresses.size() == 1 && mime::sameAddress(addresses.front(), text);
}

// RFC 5322 date-time in UTC: "Tue, 24 Nov 2026 06:04:40 +0000".
std::string formatDate(base::TimePoint t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::array<char, 40> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return {buf.data(), n};
}

std::vector<const mime::HeaderField*> fieldsNamed(const mime::MimeEntity& e, std::string_view name) {
    std::vector<const mime::HeaderField*> out;
    for (const auto& h : e.headers) {
        if (mime::equalsIgnoreCase(h.name, name)) {
            out.push_back(&h);
        }
    }
    return out;
}

// The token-part1 of a Subject value; leading "Re:" prefixes are skipped when `reply`.
base::Result<std::string> subjectToken(std::string_view subject, bool reply) {
    std::string_view s = subject;
    auto skipSpace = [&s] {
        while (!s.empty() && isSpace(s.front())) {
            s.remove_prefix(1);
        }
    };
    skipSpace();
    while (reply && startsWithIgnoreCase(s, "Re:")) {
        s.remove_prefix(3);
        skipSpace();
    }
    if (!startsWithIgnoreCase(s, kSubjectPrefix)) {
        return base::makeError(ErrorCode::MalformedInput, "the Subject is not \"ACME: <token-part1>\"");
    }
    std::string token = withoutWhitespace(s.substr(kSubjectPrefix.size()));
    if (!isTokenPart(token)) {
        return base::makeError(ErrorCode::MalformedInput,
                               "the token-part1 in the Subject is not 24 base64url characters");
    }
    return token;
}

// The first text/plain leaf, looking into multipart/mixed, alternative and signed (first part).
const mime::MimeEntity* findTextPart(const mime::MimeEntity& e, int depth) {
    if (!e.isMultipart()) {
        return e.contentType.is("text", "plain") ? &e : nullptr;
    }
    if (depth >= kMaxPartDepth) {
        return nullptr;
    }
    if (e.contentType.is("multipart", "signed")) {
        return e.children.empty() ? nullptr : findTextPart(e.children.front(), depth + 1);
    }
    if (!e.contentType.is("multipart", "mixed") && !e.contentType.is("multipart", "alternative")) {
        return nullptr;
    }
    for (const auto& child : e.children) {
        if (const auto* found = findTextPart(child, depth + 1)) {
            return found;
        }
    }
    return nullptr;
}

base::Result<std::string> responseBlock(std::string_view text) {
    const auto begin = text.find(kBeginMarker);
    if (begin == std::string_view::npos) {
        return base::makeError(ErrorCode::MalformedInput, "no -----BEGIN ACME RESPONSE----- line in the reply");
    }
    const auto start = begin + kBeginMarker.size();
    const auto end = text.find(kEndMarker, start);
    if (end == std::string_view::npos) {
        return base::makeError(ErrorCode::MalformedInput, "no -----END ACME RESPONSE----- line in the reply");
    }
    std::string response = withoutWhitespace(text.substr(start, end - start));
    if (!isBase64Url(response)) {
        return base::makeError(ErrorCode::MalformedInput, "the ACME response is empty or not base64url");
    }
    return response;
}

ChallengeRecognition fail(ChallengeRule rule, std::string detail) {
    ChallengeRecognition r;
    r.failed = rule;
    r.detail = std::move(detail);
    return r;
}

// Protected header fields named `name` (RFC 9788 section), in order.
std::vector<std::string> protectedFields(const smime::OpenReport& report, std::string_view name) {
    std::vector<std::string> out;
    if (report.protectedHeaders) {
        for (const auto& [n, v] : *report.protectedHeaders) {
            if (mime::equalsIgnoreCase(n, name)) {
                out.push_back(v);
            }
        }
    }
    return out;
}

// "auto-generated; type=acme": a keyword other than "no" and a type parameter of "acme".
bool hasAcmeType(std::string_view value) {
    std::vector<std::string_view> items;
    std::size_t pos = 0;
    while (pos <= value.size()) {
        const auto semi = std::min(value.find(';', pos), value.size());
        items.push_back(mime::trimWsp(value.substr(pos, semi - pos)));
        pos = semi + 1;
    }
    if (items.empty() || items.front().empty() || mime::equalsIgnoreCase(items.front(), "no")) {
        return false;
    }
    return std::any_of(items.begin() + 1, items.end(), [](std::string_view item) {
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || !mime::equalsIgnoreCase(mime::trimWsp(item.substr(0, eq)), "type")) {
            return false;
        }
        std::string_view v = mime::trimWsp(item.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
            v = v.substr(1, v.size() - 2);
        }
        return mime::equalsIgnoreCase(v, "acme");
    });
}

bool sameAddressList(std::string_view a, std::string_view b) {
    const auto x = mime::parseAddressList(a);
    const auto y = mime::parseAddressList(b);
    return !x.empty() && x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), mime::sameAddress);
}

// The rule a mail without any field `name` breaks.
ChallengeRule missingRule(std::string_view name) {
    if (name == "From") {
        return ChallengeRule::FromIsChallengeFrom;
    }
    if (name == "To") {
        return ChallengeRule::To;
    }
    if (name == "Subject") {
        return ChallengeRule::Subject;
    }
    if (name == "Auto-Submitted") {
        return ChallengeRule::AutoSubmitted;
    }
    return ChallengeRule::Structure;
}

// Each of these must appear once, protected, and once outside with the same meaning: the outer
// header is what mail programs show and what the client answers.
std::optional<ChallengeRecognition> checkOuterMatches(const mime::MimeEntity& top, const smime::OpenReport& report) {
    for (std::string_view name : {"From", "To", "Subject", "Auto-Submitted", "Message-ID"}) {
        const auto inner = protectedFields(report, name);
        const auto outer = fieldsNamed(top, name);
        if (inner.empty() && outer.empty()) {
            return fail(missingRule(name), std::string(name) + " is missing");
        }
        if (inner.size() != 1) {
            return fail(ChallengeRule::HeadersProtected, std::string(name) + " is not protected exactly once");
        }
        if (outer.size() != 1) {
            return fail(ChallengeRule::OuterHeadersMatch, std::string(name) + " is not outside exactly once");
        }
        const std::string outerValue = outer.front()->value();
        const bool address = name == "From" || name == "To";
        if (address ? !sameAddressList(inner.front(), outerValue)
                    : normalizeSpace(inner.front()) != normalizeSpace(outerValue)) {
            return fail(ChallengeRule::OuterHeadersMatch,
                        "the outer " + std::string(name) + " differs from the protected one");
        }
    }
    return std::nullopt;
}

std::optional<ChallengeRecognition> checkSigners(const smime::OpenReport& report, std::string_view from) {
    bool any = false;
    for (const auto& s : report.signers) {
        if (!s.coversWholeMessage) {
            continue;
        }
        any = true;
        if (!s.result.certificate || !s.result.certificate->hasEmailAddress(from)) {
            return fail(ChallengeRule::SignerIsFrom,
                        "the signer's certificate (" + s.subject + ") is not for " + std::string(from));
        }
    }
    if (!any || report.signerMatchesFrom != std::optional<bool>(true)) {
        return fail(ChallengeRule::SignerIsFrom, "the signer does not match the From address");
    }
    return std::nullopt;
}

} // namespace

bool isTokenPart(std::string_view text) noexcept {
    return text.size() == 24 && isBase64Url(text);
}

std::string_view challengeRuleName(ChallengeRule rule) noexcept {
    switch (rule) {
    case ChallengeRule::None: return "none";
    case ChallengeRule::Structure: return "structure";
    case ChallengeRule::SignatureValid: return "signature-valid";
    case ChallengeRule::CoversWholeMessage: return "covers-whole-message";
    case ChallengeRule::HeadersProtected: return "headers-protected";
    case ChallengeRule::OuterHeadersMatch: return "outer-headers-match";
    case ChallengeRule::SignerIsFrom: return "signer-is-from";
    case ChallengeRule::FromIsChallengeFrom: return "from-is-challenge-from";
    case ChallengeRule::AutoSubmitted: return "auto-submitted";
    case ChallengeRule::Subject: return "subject";
    case ChallengeRule::TokenPart1: return "token-part1";
    case ChallengeRule::To: return "to";
    }
    return "unknown";
}

base::Result<std::string> buildChallengeMail(const ChallengeMailFields& fields) {
    if (!isSingleAddrSpec(fields.from) || !isSingleAddrSpec(fields.to)) {
        return base::makeError(ErrorCode::InvalidArgument, "from and to must each be one addr-spec");
    }
    if (!isTokenPart(fields.tokenPart1)) {
        return base::makeError(ErrorCode::InvalidArgument, "token-part1 must be 24 base64url characters");
    }
    if (!isMessageIdContent(fields.messageId)) {
        return base::makeError(ErrorCode::InvalidArgument, "malformed Message-ID");
    }
    std::string mail;
    mail += "From: " + fields.from + "\r\n";
    mail += "To: " + fields.to + "\r\n";
    mail += "Subject: ACME: " + fields.tokenPart1 + "\r\n";
    mail += "Date: " + formatDate(fields.date) + "\r\n";
    mail += "Message-ID: <" + fields.messageId + ">\r\n";
    mail += "Auto-Submitted: auto-generated; type=acme\r\n";
    mail += "MIME-Version: 1.0\r\n";
    mail += "Content-Type: text/plain; charset=us-ascii\r\n";
    mail += "Content-Transfer-Encoding: 7bit\r\n";
    mail += "\r\n";
    mail += "This message was sent by a certificate authority to confirm that " + fields.to +
            "\r\n"
            "belongs to whoever asked for an S/MIME certificate for it (ACME, RFC 8823).\r\n"
            "\r\n"
            "If your mail program requested the certificate, it answers this message by\r\n"
            "itself; there is nothing to do. If nobody did, ignore this message: without\r\n"
            "an answer no certificate is issued.\r\n";
    return mail;
}

base::Result<ParsedReply> parseReply(std::string_view message) {
    auto top = mime::parseEntity(message);
    if (!top) {
        return base::makeError(ErrorCode::MalformedInput, "unparseable reply: " + top.error().detail);
    }
    ParsedReply reply;
    const auto from = fieldsNamed(*top, "From");
    if (from.size() != 1) {
        return base::makeError(ErrorCode::MalformedInput, "the reply must have exactly one From field");
    }
    const auto fromAddresses = mime::parseAddressList(from.front()->value());
    if (fromAddresses.size() != 1) {
        return base::makeError(ErrorCode::MalformedInput, "the reply's From must hold exactly one address");
    }
    reply.fromAddress = fromAddresses.front();
    const auto subject = fieldsNamed(*top, "Subject");
    if (subject.size() != 1) {
        return base::makeError(ErrorCode::MalformedInput, "the reply must have exactly one Subject field");
    }
    auto token = subjectToken(subject.front()->value(), true);
    if (!token) {
        return token.error();
    }
    reply.tokenPart1 = std::move(*token);
    const mime::MimeEntity* text = findTextPart(*top, 0);
    if (text == nullptr) {
        return base::makeError(ErrorCode::MalformedInput, "the reply has no text/plain part");
    }
    auto body = mime::decodeBody(*text);
    if (!body) {
        return base::makeError(ErrorCode::MalformedInput, "undecodable reply body: " + body.error().detail);
    }
    auto response = responseBlock(*body);
    if (!response) {
        return response.error();
    }
    reply.response = std::move(*response);
    reply.messageId = withoutBrackets(top->headerValue("Message-ID"));
    reply.inReplyTo = withoutBrackets(top->headerValue("In-Reply-To"));
    return reply;
}

ChallengeRecognition recognizeChallenge(std::string_view message, const smime::OpenReport& report,
                                        const ChallengeExpectation& expected) {
    auto top = mime::parseEntity(message);
    if (!top) {
        return fail(ChallengeRule::Structure, "unparseable mail: " + top.error().detail);
    }
    if (report.signature != smime::SignatureState::Valid) {
        return fail(ChallengeRule::SignatureValid,
                    "signature state " + std::string(smime::signatureStateName(report.signature)));
    }
    if (!report.coversWholeMessage) {
        return fail(ChallengeRule::CoversWholeMessage, "the signature does not cover the whole message");
    }
    if (!report.protectedHeaders || report.headerProtection.empty()) {
        return fail(ChallengeRule::HeadersProtected, "no protected header section (RFC 9788)");
    }
    if (auto bad = checkOuterMatches(*top, report)) {
        return *bad;
    }
    const auto fromAddresses = mime::parseAddressList(protectedFields(report, "From").front());
    if (fromAddresses.size() != 1 || !mime::sameAddress(fromAddresses.front(), expected.from)) {
        return fail(ChallengeRule::FromIsChallengeFrom,
                    "From is not the challenge's from " + std::string(expected.from));
    }
    if (auto bad = checkSigners(report, expected.from)) {
        return *bad;
    }
    if (!hasAcmeType(protectedFields(report, "Auto-Submitted").front())) {
        return fail(ChallengeRule::AutoSubmitted, "Auto-Submitted lacks type=acme");
    }
    const std::string subject = normalizeSpace(protectedFields(report, "Subject").front());
    if (!subject.starts_with(kSubjectPrefix)) {
        return fail(ChallengeRule::Subject, "the Subject is not \"ACME: <token-part1>\"");
    }
    std::string token = withoutWhitespace(std::string_view(subject).substr(kSubjectPrefix.size()));
    if (!isTokenPart(token)) {
        return fail(ChallengeRule::TokenPart1, "token-part1 is not 24 base64url characters");
    }
    const auto to = mime::parseAddressList(protectedFields(report, "To").front());
    if (to.size() != 1 || !mime::sameAddress(to.front(), expected.enrolledAddress)) {
        return fail(ChallengeRule::To, "To is not exactly " + std::string(expected.enrolledAddress));
    }
    std::string messageId = withoutBrackets(protectedFields(report, "Message-ID").front());
    if (!isMessageIdContent(messageId)) {
        return fail(ChallengeRule::Structure, "malformed Message-ID");
    }
    ChallengeRecognition ok;
    ok.tokenPart1 = std::move(token);
    ok.messageId = std::move(messageId);
    return ok;
}

base::Result<std::string> challengeResponse(std::string_view tokenPart1, std::string_view tokenPart2,
                                            const crypto::PublicKey& accountKey) {
    if (!isTokenPart(tokenPart1) || !isTokenPart(tokenPart2)) {
        return base::makeError(ErrorCode::InvalidArgument, "token parts must be 24 base64url characters each");
    }
    const std::string token = std::string(tokenPart1) + std::string(tokenPart2);
    auto authorization = crypto::keyAuthorization(token, accountKey);
    if (!authorization) {
        return authorization.error();
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(authorization->data(), authorization->size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        return base::makeError(ErrorCode::CryptoFailure, "SHA-256 failed");
    }
    return crypto::base64UrlEncode(base::ByteView(digest.data(), length));
}

base::Result<std::string> buildReplyMail(const ReplyFields& fields) {
    if (!isSingleAddrSpec(fields.from) || !isSingleAddrSpec(fields.to)) {
        return base::makeError(ErrorCode::InvalidArgument, "from and to must each be one addr-spec");
    }
    if (!isTokenPart(fields.tokenPart1)) {
        return base::makeError(ErrorCode::InvalidArgument, "token-part1 must be 24 base64url characters");
    }
    if (!isMessageIdContent(fields.challengeMessageId) ||
        (!fields.messageId.empty() && !isMessageIdContent(fields.messageId))) {
        return base::makeError(ErrorCode::InvalidArgument, "malformed Message-ID");
    }
    if (!isBase64Url(fields.response)) {
        return base::makeError(ErrorCode::InvalidArgument, "the response must be base64url");
    }
    const std::string challengeId = "<" + fields.challengeMessageId + ">";
    std::string mail;
    mail += "From: " + fields.from + "\r\n";
    mail += "To: " + fields.to + "\r\n";
    mail += "Subject: Re: ACME: " + fields.tokenPart1 + "\r\n";
    mail += "Date: " + formatDate(fields.date) + "\r\n";
    if (!fields.messageId.empty()) {
        mail += "Message-ID: <" + fields.messageId + ">\r\n";
    }
    mail += "In-Reply-To: " + challengeId + "\r\n";
    mail += "References: " + challengeId + "\r\n";
    mail += "Auto-Submitted: auto-replied; type=acme\r\n";
    mail += "MIME-Version: 1.0\r\n";
    mail += "Content-Type: text/plain; charset=us-ascii\r\n";
    mail += "Content-Transfer-Encoding: 7bit\r\n";
    mail += "\r\n";
    mail += std::string(kBeginMarker) + "\r\n" + fields.response + "\r\n" + std::string(kEndMarker) + "\r\n";
    return mail;
}

} // namespace sealpost::acme
