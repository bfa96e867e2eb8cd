#include "ReadableMessage.h"

#include "base/Clock.h"
#include "mime/Ascii.h"
#include "mime/ContentType.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageOpener.h"

#include <algorithm>
#include <array>

namespace sealpost::cli {

namespace {

constexpr std::array kShownHeaders{"From", "To",      "Cc",         "Bcc",         "Reply-To",
                                   "Date", "Subject", "Message-ID", "In-Reply-To", "References"};

using mime::equalsIgnoreCase;
using mime::trimWsp;

// A parameter of a Content-Disposition value ("attachment; filename=\"a.pdf\""), "" when absent;
// its parameters follow Content-Type's grammar (RFC 2183, RFC 2231).
std::string dispositionParam(std::string_view value, std::string_view name) {
    const auto semicolon = value.find(';');
    if (semicolon == std::string_view::npos) {
        return {};
    }
    return mime::ContentType::parse("application/octet-stream" + std::string(value.substr(semicolon))).param(name);
}

void collect(const mime::MimeEntity& entity, ReadableMessage& out) {
    if (entity.isMultipart()) {
        if (entity.contentType.is("multipart", "alternative")) {
            // Show the plain text alternative only.
            for (const auto& child : entity.children) {
                if (child.contentType.is("text", "plain")) {
                    collect(child, out);
                    return;
                }
            }
        }
        for (const auto& child : entity.children) {
            collect(child, out);
        }
        return;
    }
    const std::string disposition = entity.headerValue("Content-Disposition");
    const bool attachment = equalsIgnoreCase(trimWsp(disposition.substr(0, disposition.find(';'))), "attachment");
    auto decoded = mime::decodeBody(entity);
    const std::string data = decoded ? std::move(decoded).value() : std::string(entity.body);
    if (entity.contentType.is("text", "plain") && !attachment) {
        if (!out.bodyText.empty() && !data.empty()) {
            out.bodyText += "\n";
        }
        out.bodyText += data;
        return;
    }
    std::string name = dispositionParam(disposition, "filename");
    if (name.empty()) {
        name = entity.contentType.param("name");
    }
    out.attachments.push_back({std::move(name), entity.contentType.mimeType(), data.size()});
}

} // namespace

std::string ReadableMessage::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (equalsIgnoreCase(n, name)) {
            return v;
        }
    }
    return {};
}

base::Result<ReadableMessage> readMessage(std::string raw, const engine::ProfileMaterial& material) {
    const base::SystemClock clock;
    smime::OpenOptions options;
    options.identities = material.identities;
    options.trustAnchors = material.trustAnchors;
    options.at = clock.now();
    auto opened = smime::openMessage(std::move(raw), options);
    if (!opened) {
        return opened.error();
    }
    ReadableMessage out;
    out.report = std::move(opened->report);
    const std::string text = opened->text();
    auto top = mime::parseEntity(text);
    if (!top) {
        return top.error();
    }
    for (const char* name : kShownHeaders) {
        std::string value;
        bool found = false;
        if (out.report.protectedHeaders) {
            for (const auto& [n, v] : *out.report.protectedHeaders) {
                if (equalsIgnoreCase(n, name)) {
                    value = v;
                    found = true;
                    break;
                }
            }
        }
        if (!found && top->header(name) != nullptr) {
            value = top->headerValue(name);
            found = true;
        }
        if (found) {
            out.headers.emplace_back(name, std::string(trimWsp(value)));
        }
    }
    collect(*top, out);
    return out;
}

SecurityFacts securityFacts(const smime::OpenReport& report) {
    SecurityFacts f;
    f.encryption = smime::encryptionStateName(report.encryption);
    f.signature = smime::signatureStateName(report.signature);
    f.signerMatchesFrom = report.signerMatchesFrom;
    f.coversWholeMessage = report.coversWholeMessage;
    if (!report.signers.empty() && !report.signers.front().emails.empty()) {
        f.signer = report.signers.front().emails.front();
    }
    return f;
}

std::string securityWords(const SecurityFacts& facts) {
    std::vector<std::string> words;
    if (facts.encryption == "decrypted") {
        words.emplace_back("encrypted");
    } else if (facts.encryption == "failed") {
        words.emplace_back("encrypted, but could not be decrypted");
    }
    const std::string signer = facts.signer.empty() ? "an unknown signer" : facts.signer;
    if (facts.signature == "none") {
        if (facts.encryption != "failed") { // a signature inside what we cannot open is unknown
            words.emplace_back(words.empty() ? "not protected" : "not signed");
        }
    } else if (facts.signature != "valid") {
        words.push_back("NOT signed: the signature of " + signer + " is " + facts.signature);
    } else if (facts.signerMatchesFrom != true) {
        words.push_back("NOT signed: the signer " + signer + " is not the sender");
    } else if (!facts.coversWholeMessage) {
        words.emplace_back("NOT signed: the signature covers only part of the message");
    } else {
        words.push_back("signed by " + signer + " (valid)");
    }
    std::string out;
    for (const auto& w : words) {
        out += (out.empty() ? "" : ", ") + w;
    }
    return out;
}

} // namespace sealpost::cli
