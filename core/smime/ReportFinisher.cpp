#include "smime/ReportFinisher.h"

#include "mime/Address.h"
#include "smime/HeaderUtil.h"

#include <algorithm>

namespace sealpost::smime {

void ReportFinisher::finish(const mime::MimeEntity& top, const mime::MimeEntity* contentRoot) {
    summarizeLayers();
    readProtectedHeaders(contentRoot);
    checkFrom(top);
    matchSigners();
    const OpenReport& r = m_report;
    if (r.encryption == EncryptionState::Decrypted && r.cipher && !crypto::isAuthenticated(*r.cipher) &&
        r.signature != SignatureState::Valid) {
        addWarning(m_report, OpenWarning::UnauthenticatedEncryption);
    }
    reportParts();
}

bool ReportFinisher::covers(const Layer& l) const {
    return !m_tree.leaves.empty() && l.leaves == m_tree.leaves.size();
}

void ReportFinisher::summarizeLayers() {
    OpenReport& r = m_report;
    bool anyPartialSignature = false;
    SignatureState covering = SignatureState::None;
    SignatureState partial = SignatureState::None;
    for (const Layer& l : m_tree.layers) {
        if (l.encryption) {
            if (l.encryptionState == EncryptionState::Failed) {
                r.encryption = EncryptionState::Failed;
            } else if (r.encryption == EncryptionState::None) {
                r.encryption = EncryptionState::Decrypted;
                r.cipher = l.cipher;
                r.cipherOid = l.cipherOid;
            }
            if (!covers(l)) { // the walk decrypts top layers only; kept as a safety net
                addWarning(r, OpenWarning::EncryptedPartInsideUnprotectedContent);
            }
            continue;
        }
        if (covers(l)) {
            m_anyCoveringSignature = true;
            covering = worse(covering, l.signatureState);
        } else {
            anyPartialSignature = true;
            partial = worse(partial, l.signatureState);
        }
        for (std::size_t s : l.signers) {
            r.signers[s].coversWholeMessage = covers(l);
        }
    }
    // README / RFC 8551 nesting: the worst result of every layer, so a bad inner signature is never
    // hidden behind a good outer one.
    r.signature = worse(covering, partial);
    if (anyPartialSignature) {
        addWarning(r, OpenWarning::SignedPartInsideUnprotectedContent);
    }
    r.coversWholeMessage = !m_tree.layers.empty() && std::all_of(m_tree.layers.begin(), m_tree.layers.end(),
                                                                 [&](const Layer& l) { return covers(l); });
}

// Protected headers (RFC 9788) sit on the first content entity below the top layers.
void ReportFinisher::readProtectedHeaders(const mime::MimeEntity* contentRoot) {
    if (m_tree.rootLayers == 0 || contentRoot == nullptr) {
        return;
    }
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& h : contentRoot->headers) {
        if (!isContentField(h.name) && !iequals(h.name, "MIME-Version")) {
            fields.emplace_back(std::string(h.name), h.value());
        }
    }
    m_report.headerProtection = contentRoot->contentType.param("hp");
    if (!fields.empty() || !m_report.headerProtection.empty()) {
        m_report.protectedHeaders = std::move(fields);
    }
}

std::optional<std::string> ReportFinisher::protectedValue(std::string_view name) const {
    if (m_report.protectedHeaders) {
        for (const auto& [n, v] : *m_report.protectedHeaders) {
            if (iequals(n, name)) {
                return v;
            }
        }
    }
    return std::nullopt;
}

void ReportFinisher::checkFrom(const mime::MimeEntity& top) {
    OpenReport& r = m_report;
    const std::string outerFrom = top.headerValue("From");
    const auto protectedFrom = protectedValue("From");
    const std::string from = protectedFrom.value_or(outerFrom);
    const auto fromAddresses = mime::parseAddressList(from);
    if (fromAddresses.size() > 1) {
        addWarning(r, OpenWarning::MultipleFromAddresses);
    }
    r.fromAddress = fromAddresses.size() == 1 ? fromAddresses.front() : std::string();
    if (protectedFrom) {
        const auto outerAddresses = mime::parseAddressList(outerFrom);
        if (outerAddresses.size() != 1 || fromAddresses.size() != 1 ||
            !mime::sameAddress(outerAddresses.front(), fromAddresses.front())) {
            addWarning(r, OpenWarning::ProtectedFromDiffers);
        }
    }
    // hp="cipher" obscures the outer Subject on purpose (RFC 9788 hcp_baseline): not a mismatch.
    const std::string outerSubject = top.headerValue("Subject");
    const bool obscured = r.headerProtection == "cipher" && outerSubject == "[...]";
    if (auto subject = protectedValue("Subject"); subject && *subject != outerSubject && !obscured) {
        addWarning(r, OpenWarning::ProtectedSubjectDiffers);
    }
}

void ReportFinisher::matchSigners() {
    OpenReport& r = m_report;
    for (SignerReport& s : r.signers) {
        s.matchesFrom =
            !r.fromAddress.empty() && s.result.certificate && s.result.certificate->hasEmailAddress(r.fromAddress);
    }
    // The signers that count: those of covering layers, or, when nothing covers the whole
    // message, those of the partial ones. No such signer (broken signatures only): no answer.
    bool anyRelevant = false;
    bool all = true;
    for (const SignerReport& s : r.signers) {
        if (s.coversWholeMessage == m_anyCoveringSignature) {
            anyRelevant = true;
            all = all && s.matchesFrom;
        }
    }
    if (anyRelevant) {
        r.signerMatchesFrom = all;
        if (!all) {
            addWarning(r, OpenWarning::SignerDoesNotMatchFrom);
        }
    }
}

void ReportFinisher::reportParts() {
    for (const Leaf& leaf : m_tree.leaves) {
        PartReport part{leaf.path, leaf.contentType, false, SignatureState::None};
        for (std::size_t idx : leaf.layers) {
            const Layer& l = m_tree.layers[idx];
            if (l.encryption) {
                part.encrypted = part.encrypted || l.encryptionState == EncryptionState::Decrypted;
            } else {
                part.signature = l.signatureState; // the innermost signature wins
            }
        }
        m_report.parts.push_back(std::move(part));
    }
}

} // namespace sealpost::smime
