#include "engine/Send.h"

#include "base/ByteSink.h"
#include "engine/Compose.h"
#include "engine/ProtectionPlan.h"
#include "mime/Address.h"
#include "smime/MessageProtector.h"
#include "store/CorrespondentStore.h"
#include "store/Settings.h"
#include "store/Transaction.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

namespace sealpost::engine {

using base::ErrorCode;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string policyKey(std::string_view address) {
    return "send.policy." + lower(address);
}

bool contains(const std::vector<std::string>& list, std::string_view address) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& a) { return mime::sameAddress(a, address); });
}

// The directory's rejections of the certificates it had for the address, for people.
std::string rejectionDetail(const directory::AddressLookup& lookup) {
    std::string out;
    for (const auto& r : lookup.rejected) {
        if (!out.empty()) {
            out += "; ";
        }
        out += std::string(directory::validationProblemName(r.problem));
        if (!r.detail.empty()) {
            out += ": " + r.detail;
        }
    }
    return out;
}

std::string_view directoryReason(directory::LookupOutcome outcome) {
    switch (outcome) {
    case directory::LookupOutcome::NotFound: return "directory-not-found";
    case directory::LookupOutcome::Unreachable: return "directory-unreachable";
    case directory::LookupOutcome::Failed: return "directory-failed";
    case directory::LookupOutcome::Found: break;
    }
    return "no-certificate";
}

RecipientDecision decide(ResolvedRecipient&& r, RecipientField field) {
    RecipientDecision d;
    d.address = std::move(r.address);
    d.field = field;
    d.source = r.source;
    if (r.selection.cert) {
        d.status = RecipientStatus::Encrypt;
        d.reason = std::string(store::selectionReasonName(r.selection.reason));
        d.fingerprint = r.selection.cert->fingerprint;
        d.gcm = crypto::isAuthenticated(r.selection.cipher);
        return d;
    }
    if (r.lookup && !r.lookup->rejected.empty()) {
        d.status = RecipientStatus::AvailableButUnverified;
        d.reason = "directory-rejected";
        d.detail = rejectionDetail(*r.lookup);
        return d;
    }
    d.status = RecipientStatus::NoKey;
    if (r.selection.reason != store::SelectionReason::NoCertificate || !r.lookup) {
        d.reason = std::string(store::selectionReasonName(r.selection.reason));
    } else {
        d.reason = std::string(directoryReason(r.lookup->outcome));
    }
    if (r.lookup && r.lookup->error) {
        d.detail = r.lookup->error->detail;
    }
    return d;
}

struct Listed {
    std::string address;
    RecipientField field;
};

// To, then Cc, then Bcc, each address once (its first field wins), without the removed ones.
base::Result<std::vector<Listed>> listRecipients(const DraftAddresses& a, const SendOverrides& overrides) {
    std::vector<Listed> out;
    const std::array<std::pair<const std::vector<std::string>*, RecipientField>, 3> fields{
        {{&a.to, RecipientField::To}, {&a.cc, RecipientField::Cc}, {&a.bcc, RecipientField::Bcc}}};
    for (const auto& [list, field] : fields) {
        for (const auto& address : *list) {
            if (mime::parseAddressList(address).size() != 1) {
                return base::makeError(ErrorCode::InvalidArgument, "\"" + address + "\" is not a valid address");
            }
            const bool seen = std::any_of(out.begin(), out.end(),
                                          [&](const Listed& l) { return mime::sameAddress(l.address, address); });
            if (!seen && !contains(overrides.removeRecipients, address)) {
                out.push_back({lower(address), field});
            }
        }
    }
    return out;
}

void decideProtection(SendPlan& plan, bool ownEncryption, const SendOverrides& overrides) {
    const bool everyone = !plan.recipients.empty() &&
                          std::all_of(plan.recipients.begin(), plan.recipients.end(),
                                      [](const RecipientDecision& d) { return d.status == RecipientStatus::Encrypt; });
    const bool allGcm =
        std::all_of(plan.recipients.begin(), plan.recipients.end(), [](const RecipientDecision& d) { return d.gcm; });
    if (overrides.forcePlain) {
        plan.reason = "forced-plain";
    } else if (plan.policy == SendPolicy::SignOnly) {
        plan.reason = "policy-sign-only";
    } else if (!everyone) {
        plan.reason = "recipient-without-key";
    } else if (!ownEncryption) {
        plan.reason = "no-encryption-certificate-of-sender";
    } else {
        plan.encrypt = true;
        plan.reason = "all-recipients-have-keys";
        plan.cipher = allGcm ? crypto::ContentCipher::Aes256Gcm : crypto::ContentCipher::Aes256Cbc;
    }
}

base::Result<std::string> protect(std::string_view message, const smime::ProtectRequest& request) {
    std::string out;
    base::StringSink sink(out);
    if (auto done = smime::protectMessage(message, request, sink); !done) {
        return done.error();
    }
    return out;
}

struct Material {
    std::optional<crypto::Identity> signer;
    std::optional<crypto::Certificate> own;
    base::TimePoint now;
    crypto::ContentCipher cipher = crypto::ContentCipher::Aes256Cbc;
};

// Signed when there is a signer, encrypted to `to` plus the sender when `to` is given. `ownCopy`:
// the Sent copy, whose Bcc field stays inside the encryption.
base::Result<std::string> protectCopy(std::string_view message, const Material& m,
                                      const std::vector<crypto::Certificate>* to, bool ownCopy = false) {
    if (!m.signer && to == nullptr) {
        return std::string(message);
    }
    smime::ProtectRequest request;
    request.now = m.now;
    request.protectHeaders = true;
    request.keepBcc = ownCopy && to != nullptr;
    if (m.signer) {
        request.sign = smime::SignStep{.signer = *m.signer,
                                       .form = smime::SignatureForm::Detached,
                                       .digest = crypto::DigestAlgorithm::Sha256,
                                       .encryptionCertificate = m.own};
    }
    if (to != nullptr) {
        smime::EncryptStep step;
        step.recipients = *to;
        step.recipients.push_back(*m.own);
        step.options.cipher = m.cipher;
        request.encrypt = std::move(step);
    }
    return protect(message, request);
}

} // namespace

std::string_view sendPolicyName(SendPolicy policy) noexcept {
    switch (policy) {
    case SendPolicy::EncryptWhenPossible: return "encrypt-when-possible";
    case SendPolicy::RequireEncryption: return "require-encryption";
    case SendPolicy::SignOnly: return "sign-only";
    }
    return "encrypt-when-possible";
}

std::optional<SendPolicy> parseSendPolicy(std::string_view name) noexcept {
    for (const auto p : {SendPolicy::EncryptWhenPossible, SendPolicy::RequireEncryption, SendPolicy::SignOnly}) {
        if (sendPolicyName(p) == name) {
            return p;
        }
    }
    return std::nullopt;
}

base::Result<SendPolicy> loadSendPolicy(store::Database& db, std::string_view accountAddress) {
    auto value = store::Settings(db).get(policyKey(accountAddress));
    if (!value) {
        return value.error();
    }
    if (!*value) {
        return SendPolicy::EncryptWhenPossible;
    }
    const auto policy = parseSendPolicy(**value);
    if (!policy) {
        return base::makeError(ErrorCode::MalformedInput,
                               "unknown send policy \"" + **value + "\" for " + std::string(accountAddress));
    }
    return *policy;
}

base::Result<void> saveSendPolicy(store::Database& db, std::string_view accountAddress, SendPolicy policy) {
    if (mime::parseAddressList(accountAddress).size() != 1) {
        return base::makeError(ErrorCode::InvalidArgument,
                               "\"" + std::string(accountAddress) + "\" is not a valid address");
    }
    return store::Settings(db).set(policyKey(accountAddress), sendPolicyName(policy));
}

std::string_view recipientFieldName(RecipientField field) noexcept {
    switch (field) {
    case RecipientField::To: return "to";
    case RecipientField::Cc: return "cc";
    case RecipientField::Bcc: return "bcc";
    }
    return "to";
}

std::string_view recipientStatusName(RecipientStatus status) noexcept {
    switch (status) {
    case RecipientStatus::Encrypt: return "encrypt";
    case RecipientStatus::AvailableButUnverified: return "available-but-unverified";
    case RecipientStatus::NoKey: return "no-key";
    }
    return "no-key";
}

base::Result<SendPlan> planSend(store::Database& db, const base::Clock& clock, const Draft& draft, SendPolicy policy,
                                const SendOverrides& overrides, directory::DirectoryLookup* lookup,
                                const directory::LookupOptions& options) {
    auto addresses = draftAddresses(draft);
    if (!addresses) {
        return addresses.error();
    }
    auto listed = listRecipients(*addresses, overrides);
    if (!listed) {
        return listed.error();
    }
    SendPlan plan;
    plan.policy = policy;
    std::vector<std::string> all;
    all.reserve(listed->size());
    for (const auto& l : *listed) {
        all.push_back(l.address);
    }
    auto resolved = resolveRecipients(db, clock, all, lookup, options);
    if (!resolved) {
        return resolved.error();
    }
    for (std::size_t i = 0; i < resolved->size(); ++i) {
        plan.recipients.push_back(decide(std::move((*resolved)[i]), (*listed)[i].field));
    }
    auto own = planProtection(db, clock, addresses->from, {});
    if (!own) {
        return own.error();
    }
    plan.sign = own->signer.has_value();
    const bool alreadyProtected = !draft.raw.empty() && isSmimeMessage(draft.raw);
    if (alreadyProtected) {
        plan.sign = false;
        plan.reason = "already-protected";
    } else {
        decideProtection(plan, own->ownEncryption.has_value(), overrides);
    }
    if (!plan.sign && !alreadyProtected) {
        plan.warnings.emplace_back("no-signing-identity");
    }
    const bool hasBcc = std::any_of(plan.recipients.begin(), plan.recipients.end(),
                                    [](const RecipientDecision& d) { return d.field == RecipientField::Bcc; });
    if (plan.encrypt && hasBcc) {
        plan.warnings.emplace_back("bcc-separate-copies");
    }
    const bool replyToEncrypted = draft.reply && draft.reply->originalEncrypted;
    if (draft.reply && !draft.reply->quotedText.empty() && !plan.encrypt && draft.raw.empty()) {
        plan.warnings.emplace_back("quote-dropped");
    }
    if (plan.recipients.empty()) {
        plan.refusal = "no-recipients";
    } else if (policy == SendPolicy::RequireEncryption && !plan.encrypt) {
        plan.refusal = "encryption-required";
    } else if (replyToEncrypted && !plan.encrypt && !overrides.forcePlain) {
        plan.refusal = "reply-to-encrypted-would-go-plain";
    }
    return plan;
}

base::Result<OutgoingMessage> buildOutgoing(store::Database& db, const base::Clock& clock, const Draft& draft,
                                            const SendPlan& plan) {
    if (plan.refusal) {
        return base::makeError(ErrorCode::InvalidArgument, "the plan was refused: " + *plan.refusal);
    }
    auto addresses = draftAddresses(draft);
    if (!addresses) {
        return addresses.error();
    }
    ComposeOptions options;
    options.now = clock.now();
    options.quote = plan.encrypt;
    for (const auto* list : {&addresses->to, &addresses->cc, &addresses->bcc}) {
        for (const auto& a : *list) {
            const bool planned =
                std::any_of(plan.recipients.begin(), plan.recipients.end(),
                            [&](const RecipientDecision& d) { return mime::sameAddress(d.address, a); });
            if (!planned) {
                options.removed.push_back(a);
            }
        }
    }
    auto composed = composeMessage(draft, options);
    if (!composed) {
        return composed.error();
    }
    auto own = planProtection(db, clock, addresses->from, {});
    if (!own) {
        return own.error();
    }
    Material m{plan.sign ? std::move(own->signer) : std::optional<crypto::Identity>{}, std::move(own->ownEncryption),
               options.now, plan.cipher};
    if (plan.sign && !m.signer) {
        return base::makeError(ErrorCode::NotFound, "no current signing identity for " + addresses->from);
    }
    if (plan.encrypt && !m.own) {
        return base::makeError(ErrorCode::NotFound, "no current encryption certificate for " + addresses->from);
    }
    OutgoingMessage out;
    out.messageId = composed->messageId;
    out.envelopeFrom = composed->envelopeFrom;
    if (!plan.encrypt) {
        OutgoingCopy main;
        for (const auto& d : plan.recipients) {
            main.envelopeTo.push_back(d.address);
        }
        auto wire = protectCopy(composed->wire, m, nullptr);
        if (!wire) {
            return wire.error();
        }
        main.raw = std::move(*wire);
        if (composed->withBcc == composed->wire) {
            out.sentCopy = main.raw;
        } else {
            auto sent = protectCopy(composed->withBcc, m, nullptr);
            if (!sent) {
                return sent.error();
            }
            out.sentCopy = std::move(*sent);
        }
        out.copies.push_back(std::move(main));
        return out;
    }
    store::CorrespondentStore correspondents(db, clock);
    std::vector<crypto::Certificate> mainCerts;
    OutgoingCopy main;
    std::vector<OutgoingCopy> bccCopies;
    for (const auto& d : plan.recipients) {
        auto stored = correspondents.find(d.fingerprint.value_or(""));
        if (!stored) {
            return stored.error();
        }
        if (!*stored) {
            return base::makeError(ErrorCode::NotFound, "the certificate planned for " + d.address + " is gone");
        }
        if (d.field != RecipientField::Bcc) {
            mainCerts.push_back((*stored)->cert);
            main.envelopeTo.push_back(d.address);
            continue;
        }
        const std::vector<crypto::Certificate> one{(*stored)->cert};
        auto copy = protectCopy(composed->wire, m, &one);
        if (!copy) {
            return copy.error();
        }
        bccCopies.push_back({std::move(*copy), {d.address}, "bcc:" + d.address});
    }
    if (!main.envelopeTo.empty()) {
        auto copy = protectCopy(composed->wire, m, &mainCerts);
        if (!copy) {
            return copy.error();
        }
        main.raw = std::move(*copy);
        out.copies.push_back(std::move(main));
    }
    std::move(bccCopies.begin(), bccCopies.end(), std::back_inserter(out.copies));
    const std::vector<crypto::Certificate> none;
    auto sent = protectCopy(composed->withBcc, m, &none, true);
    if (!sent) {
        return sent.error();
    }
    out.sentCopy = std::move(*sent);
    return out;
}

base::Result<std::vector<store::QueueOutcome>> queueOutgoing(store::Database& db, const base::Clock& clock,
                                                             std::int64_t accountId, const OutgoingMessage& message) {
    auto tx = store::Transaction::begin(db);
    if (!tx) {
        return tx.error();
    }
    store::Outbox outbox(db, clock);
    std::vector<store::QueueOutcome> out;
    for (const auto& copy : message.copies) {
        // The first copy (the main one, else the first Bcc copy) carries what is filed in Sent; a
        // Bcc copy without a sent copy is never filed (store::OutboxMessage::filedInSent).
        const bool first = &copy == &message.copies.front();
        std::optional<std::string_view> sent;
        if (first && (!copy.copy.empty() || message.sentCopy != copy.raw)) {
            sent = message.sentCopy;
        }
        auto queued = outbox.queue(accountId, store::QueueRequest{.messageId = message.messageId,
                                                                  .raw = copy.raw,
                                                                  .envelopeFrom = message.envelopeFrom,
                                                                  .envelopeTo = copy.envelopeTo,
                                                                  .copy = copy.copy,
                                                                  .sentCopy = sent});
        if (!queued) {
            return queued.error();
        }
        out.push_back(*queued);
    }
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return out;
}

} // namespace sealpost::engine
