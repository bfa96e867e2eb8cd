#pragma once

// A received message as read and reply need it: opened with the profile's keys and anchors, its
// header fields (the protected ones where the message has them), its text and its attachments,
// and the one-line security verdict the CLI shows.

#include "base/Result.h"
#include "engine/ProfileMaterial.h"
#include "smime/OpenReport.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealpost::cli {

struct AttachmentInfo {
    std::string name; // filename of Content-Disposition, else name of Content-Type, else ""
    std::string contentType;
    std::uint64_t size = 0; // decoded bytes
};

struct ReadableMessage {
    smime::OpenReport report;
    // From, To, Cc, Bcc, Reply-To, Date, Subject, Message-ID, In-Reply-To, References: the protected
    // value when the message has protected headers, else the outer one; absent fields omitted.
    std::vector<std::pair<std::string, std::string>> headers;
    // The text/plain parts that are not attachments, joined (the opener already dropped RFC 9788's
    // legacy display element).
    std::string bodyText;
    std::vector<AttachmentInfo> attachments;

    [[nodiscard]] std::string header(std::string_view name) const; // "" when absent
};

// Opens `raw` (decrypts, verifies). Errors: not a usable message (MalformedInput, ...).
[[nodiscard]] base::Result<ReadableMessage> readMessage(std::string raw, const engine::ProfileMaterial& material);

// The facts the security verdict is made of, from an OpenReport or from the summary that sync
// stores with each message.
struct SecurityFacts {
    std::string encryption; // "none" | "decrypted" | "failed"
    std::string signature;  // "none" | "valid" | "invalid" | "untrusted" | "expired" | "error"
    std::optional<bool> signerMatchesFrom;
    bool coversWholeMessage = false;
    std::string signer; // the first signer's address, "" unknown
};
[[nodiscard]] SecurityFacts securityFacts(const smime::OpenReport& report);

// A few words: "encrypted, signed by alice@example.org (valid)", "signed, signer is not the
// sender", "not protected". "signed" only when the signature is valid, covers the whole message
// and the signer is the From address.
[[nodiscard]] std::string securityWords(const SecurityFacts& facts);

} // namespace sealpost::cli
