#include "engine/Harvester.h"

#include "crypto/CertificateChain.h"
#include "crypto/CertificateChecks.h"
#include "mime/Ascii.h"
#include "mime/HeaderBlock.h"
#include "mime/TransferEncoding.h"
#include "smime/MessageOpener.h"
#include "store/DirectoryUploadQueue.h"
#include "store/Settings.h"
#include "store/Transaction.h"

#include <algorithm>
#include <utility>

namespace sealpost::engine {

namespace {

std::string headerOf(std::string_view message, std::string_view name, const mime::ParseLimits& limits) {
    auto block = mime::scanHeaderBlock(message, {limits.maxHeaderBytes, limits.maxHeaderFields});
    if (!block) {
        return {};
    }
    for (const auto& field : block->fields) {
        if (mime::equalsIgnoreCase(field.name, name)) {
            return field.value();
        }
    }
    return {};
}

bool hasWarning(const smime::OpenReport& report, smime::OpenWarning warning) {
    return std::find(report.warnings.begin(), report.warnings.end(), warning) != report.warnings.end();
}

bool isCertsOnly(const mime::ContentType& ct) {
    return (ct.is("application", "pkcs7-mime") || ct.is("application", "x-pkcs7-mime")) &&
           mime::equalsIgnoreCase(ct.param("smime-type"), "certs-only");
}

bool mayHoldCertsOnly(const smime::OpenReport& report) {
    return std::any_of(report.parts.begin(), report.parts.end(), [](const smime::PartReport& p) {
        return p.contentType == "application/pkcs7-mime" || p.contentType == "application/x-pkcs7-mime";
    });
}

void collectCertsOnly(const mime::MimeEntity& e, std::vector<const mime::MimeEntity*>& out) {
    if (e.isMultipart()) {
        for (const auto& child : e.children) {
            collectCertsOnly(child, out);
        }
    } else if (isCertsOnly(e.contentType)) {
        out.push_back(&e);
    }
}

std::string signatureDetail(const crypto::SignerResult& r) {
    std::string text(smime::signatureStateName(smime::toSignatureState(r.status)));
    if (r.problem != crypto::SignerProblem::None) {
        text += ": ";
        text += smime::signerProblemName(r.problem);
    }
    if (!r.detail.empty()) {
        text += " (" + r.detail + ")";
    }
    return text;
}

// Why `cert` may not be kept for `from`; "" when it may. Intermediates come from the message.
std::string rejection(const crypto::Certificate& cert, std::string_view from,
                      std::span<const crypto::Certificate> untrusted, std::span<const crypto::Certificate> anchors,
                      base::TimePoint now, bool forEncryption) {
    if (!cert.hasEmailAddress(from)) {
        return "does not name the From address";
    }
    const crypto::ChainCheck chain = crypto::checkChain(cert, untrusted, anchors, now, crypto::ChainPurpose::AnyLeaf);
    if (!chain.valid) {
        return "chain: " + chain.detail;
    }
    if (!crypto::allowsEmailProtection(cert)) {
        return "not for e-mail protection (extendedKeyUsage)";
    }
    if (forEncryption && !crypto::allowsEncryption(cert)) {
        return "its key usage does not allow encryption";
    }
    return {};
}

} // namespace

std::string_view harvestVerdictName(HarvestVerdict verdict) noexcept {
    switch (verdict) {
    case HarvestVerdict::Harvested: return "harvested";
    case HarvestVerdict::NothingToLearn: return "nothing-to-learn";
    case HarvestVerdict::NotSigned: return "not-signed";
    case HarvestVerdict::NotDecrypted: return "not-decrypted";
    case HarvestVerdict::SignatureNotGood: return "signature-not-good";
    case HarvestVerdict::MultipleSigners: return "multiple-signers";
    case HarvestVerdict::SignatureNotCovering: return "signature-not-covering";
    case HarvestVerdict::SignerNotFrom: return "signer-not-from";
    case HarvestVerdict::Unreadable: return "unreadable";
    }
    return "unknown";
}

std::string_view certificateSourceName(CertificateSource source) noexcept {
    switch (source) {
    case CertificateSource::Signer: return "signer";
    case CertificateSource::EncryptionKeyPreference: return "encryption-key-preference";
    case CertificateSource::CertsOnly: return "certs-only";
    }
    return "unknown";
}

base::Result<MessageHarvest> Harvester::harvest(std::string&& message) {
    return record(assess(std::move(message)));
}

Assessment Harvester::assess(std::string&& message) const {
    Assessment assessment;
    MessageHarvest& out = assessment.harvest;
    const base::TimePoint now = m_clock.now();
    out.messageId = headerOf(message, "Message-ID", m_options.limits);
    const smime::OpenOptions openOptions{.identities = m_options.identities,
                                         .trustAnchors = m_options.trustAnchors,
                                         .at = now,
                                         .limits = m_options.limits,
                                         .certificateCache = m_certificateCache.get()};
    auto opened = smime::openMessage(std::move(message), openOptions);
    if (!opened) {
        out.verdict = HarvestVerdict::Unreadable;
        out.detail = std::string(base::errorCodeName(opened.error().code)) + ": " + opened.error().detail;
        return assessment;
    }
    const smime::OpenReport& report = opened->report;
    out.from = report.fromAddress;
    if (report.signers.empty()) {
        out.verdict = report.encryption == smime::EncryptionState::Failed ? HarvestVerdict::NotDecrypted
                                                                          : HarvestVerdict::NotSigned;
        out.detail = report.decryptionErrorDetail;
        return assessment;
    }
    if (report.signers.size() != 1) {
        out.verdict = HarvestVerdict::MultipleSigners;
        out.detail = std::to_string(report.signers.size()) + " signers";
        return assessment;
    }
    const smime::SignerReport& signer = report.signers.front();
    if (signer.result.status != crypto::SignatureStatus::Valid || !signer.result.certificate) {
        out.verdict = HarvestVerdict::SignatureNotGood;
        out.detail = signatureDetail(signer.result);
        return assessment;
    }
    if (!signer.coversWholeMessage) {
        out.verdict = HarvestVerdict::SignatureNotCovering;
        out.detail = "the signed part is only part of the message";
        return assessment;
    }
    if (!signer.matchesFrom || out.from.empty() || hasWarning(report, smime::OpenWarning::MultipleFromAddresses) ||
        hasWarning(report, smime::OpenWarning::ProtectedFromDiffers)) {
        out.verdict = HarvestVerdict::SignerNotFrom;
        out.detail = out.from.empty() ? "no single From address" : "the signer's certificate does not name " + out.from;
        return assessment;
    }

    const crypto::Certificate& signerCert = *signer.result.certificate;
    const std::optional<crypto::Certificate>& preferred = signer.result.encryptionKeyPreference;
    bool kept = false;
    if (preferred && !(*preferred == signerCert)) {
        const std::string why = rejection(*preferred, out.from, signer.result.chain, m_options.trustAnchors, now, true);
        if (why.empty()) {
            keep(*preferred, CertificateSource::EncryptionKeyPreference, signer.result, assessment);
            kept = true;
        } else {
            out.ignored.push_back({preferred->sha256Fingerprint(), CertificateSource::EncryptionKeyPreference, why});
        }
    }
    if (!kept) {
        keep(signerCert, CertificateSource::Signer, signer.result, assessment);
    }
    if (mayHoldCertsOnly(report)) {
        keepCertsOnly(opened->text(), signer.result, assessment);
    }
    out.verdict = HarvestVerdict::Harvested; // NothingToLearn if record() finds nothing to keep
    return assessment;
}

base::Result<MessageHarvest> Harvester::record(Assessment&& assessment) {
    MessageHarvest out = std::move(assessment.harvest);
    if (out.verdict != HarvestVerdict::Harvested) {
        return out;
    }
    if (!m_publish) {
        auto settings = store::loadDirectorySettings(m_db);
        if (!settings) {
            return settings.error();
        }
        m_publish = settings->publishHarvested;
    }
    auto transaction = store::Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    store::DirectoryUploadQueue uploads(m_db);
    for (const PendingCertificate& pending : assessment.keep) {
        auto outcome = m_store.remember(pending.entry);
        if (!outcome) {
            return outcome.error();
        }
        if (*m_publish) {
            auto queued = uploads.enqueue(pending.entry.cert, pending.intermediates, store::UploadProvenance::Harvested,
                                          m_clock.now());
            if (!queued) {
                return queued.error();
            }
        }
        out.learned.push_back({pending.entry.address, pending.entry.cert.sha256Fingerprint(), pending.source,
                               outcome->action, outcome->certificateChanged});
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    if (out.learned.empty()) {
        out.verdict = HarvestVerdict::NothingToLearn;
        if (out.detail.empty() && !out.ignored.empty()) {
            out.detail = out.ignored.front().reason;
        }
    }
    return out;
}

void Harvester::keep(const crypto::Certificate& cert, CertificateSource source, const crypto::SignerResult& signer,
                     Assessment& out) const {
    // The user's own mail (a Sent copy, a note to self) teaches nothing about a correspondent.
    const bool own = std::any_of(m_options.identities.begin(), m_options.identities.end(),
                                 [&](const crypto::Identity& identity) { return identity.certificate == cert; });
    if (own) {
        out.harvest.ignored.push_back({cert.sha256Fingerprint(), source, "one of this profile's own certificates"});
        return;
    }
    const base::TimePoint now = m_clock.now();
    store::CorrespondentCert entry{
        .address = out.harvest.from,
        .cert = cert,
        .provenance = {store::ProvenanceKind::Harvested, out.harvest.messageId},
        // Seen when it was signed (never in the future): harvesting the same mail again is a no-op.
        .seenAt = signer.signingTime ? std::min(*signer.signingTime, now) : now,
        .signingTime = signer.signingTime,
        .capabilities = signer.announcedCapabilities
                            ? std::optional<std::vector<crypto::ContentCipher>>(signer.capabilities)
                            : std::nullopt,
        .encryptionKeyPreference =
            signer.encryptionKeyPreference.has_value() && *signer.encryptionKeyPreference == cert,
    };
    if (source == CertificateSource::CertsOnly) {
        // The sender's capabilities and preference belong to the certificates it signed with.
        entry.capabilities = std::nullopt;
        entry.signingTime = std::nullopt;
    }
    // The verified path, leaf and root left out: what the directory needs to find the anchor.
    std::vector<crypto::Certificate> intermediates;
    for (const crypto::Certificate& c : signer.chain) {
        if (!(c == cert) && !(signer.certificate && c == *signer.certificate) && !c.isSelfIssued()) {
            intermediates.push_back(c);
        }
    }
    out.keep.push_back({std::move(entry), source, std::move(intermediates)});
}

void Harvester::keepCertsOnly(const std::string& text, const crypto::SignerResult& signer, Assessment& out) const {
    auto tree = mime::parseEntity(text, m_options.limits);
    if (!tree) {
        return; // the opener already read this text; nothing more to learn from it
    }
    std::vector<const mime::MimeEntity*> parts;
    collectCertsOnly(*tree, parts);
    const base::TimePoint now = m_clock.now();
    for (const mime::MimeEntity* part : parts) {
        auto der = mime::decodeBody(*part);
        if (!der) {
            continue;
        }
        auto bag = crypto::verifyCms(base::asBytes(*der), {}, {.trustAnchors = {}, .at = now});
        if (!bag || !bag->signers.empty()) {
            continue; // not a certs-only SignedData after all
        }
        std::vector<crypto::Certificate> untrusted = bag->certificates;
        untrusted.insert(untrusted.end(), signer.chain.begin(), signer.chain.end());
        for (const crypto::Certificate& cert : bag->certificates) {
            if (cert.emailAddresses().empty()) {
                continue; // a CA certificate of the bundle
            }
            const bool known = std::any_of(out.keep.begin(), out.keep.end(),
                                           [&](const PendingCertificate& p) { return p.entry.cert == cert; });
            if (known) {
                continue;
            }
            const std::string why = rejection(cert, out.harvest.from, untrusted, m_options.trustAnchors, now, false);
            if (!why.empty()) {
                out.harvest.ignored.push_back({cert.sha256Fingerprint(), CertificateSource::CertsOnly, why});
                continue;
            }
            keep(cert, CertificateSource::CertsOnly, signer, out);
        }
    }
}

} // namespace sealpost::engine
