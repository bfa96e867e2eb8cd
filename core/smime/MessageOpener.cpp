#include "smime/MessageOpener.h"

#include "crypto/CmsDecryptor.h"
#include "crypto/CmsOutline.h"
#include "crypto/CmsVerifier.h"
#include "mime/Address.h"
#include "mime/Canonical.h"
#include "mime/TransferEncoding.h"
#include "smime/HeaderUtil.h"

#include <algorithm>
#include <chrono>
#include <deque>

namespace sealpost::smime {

namespace {

constexpr std::string_view kIdData = "1.2.840.113549.1.7.1";
// Clocks drift; a signing time this far ahead of "now" is worth a warning.
constexpr auto kClockSkew = std::chrono::minutes(10);

enum class PartKind { Leaf, Multipart, MultipartSigned, Enveloped, OpaqueSigned };

struct Layer {
    bool encryption = false;
    EncryptionState encryptionState = EncryptionState::None;
    SignatureState signatureState = SignatureState::None;
    std::optional<crypto::ContentCipher> cipher;
    std::string cipherOid;
    std::vector<std::size_t> signers; // indexes into OpenReport::signers
    std::size_t leaves = 0;
};

struct Leaf {
    std::string path;
    std::string contentType;
    std::vector<std::size_t> layers; // outermost first
};

int severity(SignatureState s) {
    switch (s) {
    case SignatureState::None: return 0;
    case SignatureState::Valid: return 1;
    case SignatureState::Expired: return 2;
    case SignatureState::Untrusted: return 3;
    case SignatureState::Error: return 4;
    case SignatureState::Invalid: return 5;
    }
    return 5;
}

SignatureState worse(SignatureState a, SignatureState b) { return severity(a) >= severity(b) ? a : b; }

bool isPkcs7Mime(const mime::ContentType& ct) {
    return ct.is("application", "pkcs7-mime") || ct.is("application", "x-pkcs7-mime");
}

bool isPkcs7Signature(const mime::ContentType& ct) {
    return ct.is("application", "pkcs7-signature") || ct.is("application", "x-pkcs7-signature");
}

void addWarning(OpenReport& report, OpenWarning w) {
    if (std::find(report.warnings.begin(), report.warnings.end(), w) == report.warnings.end()) {
        report.warnings.push_back(w);
    }
}

std::string childPath(const std::string& parent, std::size_t index) {
    return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
}

bool hasInvalidSigner(const crypto::Verified& v) {
    return std::any_of(v.signers.begin(), v.signers.end(),
                       [](const crypto::SignerResult& s) { return s.status == crypto::SignatureStatus::Invalid; });
}

class Opener {
public:
    Opener(const OpenOptions& options, OpenReport& report) : m_options(options), m_report(report) {}

    // Appends the opened form of `e` (its header and body with S/MIME layers replaced by their
    // content) to `out`.
    void open(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void finish(const mime::MimeEntity& top);
    [[nodiscard]] const mime::MimeEntity* contentRoot() const { return m_contentRoot; }
    [[nodiscard]] bool hasRootLayers() const { return m_rootLayers > 0; }

private:
    PartKind classify(const mime::MimeEntity& e) const;
    void openLeaf(const mime::MimeEntity& e, const std::string& path, std::string& out);
    // A part shown as it is (an undecryptable or broken S/MIME entity): never a content root, so
    // its header is not mistaken for a protected header section.
    void openOpaqueLeaf(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void openMultipart(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void openMultipartSigned(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void openMalformedSigned(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void verifyDetached(std::size_t layer, base::ByteView der, std::string_view signedPart);
    void openEnveloped(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void openOpaqueSigned(const mime::MimeEntity& e, const std::string& path, std::string& out);
    void openBuffer(std::string content, const std::string& path, std::string& out, const mime::MimeEntity& origin);
    std::size_t beginLayer(bool encryption);
    void endLayer() { m_active.pop_back(); }
    void judgeSignature(std::size_t layer, const crypto::Verified& v);
    std::optional<base::Bytes> decodeCms(const mime::MimeEntity& e);

    const OpenOptions& m_options;
    OpenReport& m_report;
    std::deque<std::string> m_buffers; // decrypted / unwrapped content that parsed views point into
    std::deque<mime::MimeEntity> m_entities;
    std::vector<Layer> m_layers;
    std::vector<std::size_t> m_active;
    std::vector<Leaf> m_leaves;
    const mime::MimeEntity* m_contentRoot = nullptr;
    bool m_descendingRoot = true;
    int m_rootLayers = 0;
};

PartKind Opener::classify(const mime::MimeEntity& e) const {
    const auto& ct = e.contentType;
    if (ct.is("multipart", "signed")) {
        return PartKind::MultipartSigned;
    }
    if (e.isMultipart()) {
        return PartKind::Multipart;
    }
    if (!isPkcs7Mime(ct)) {
        return PartKind::Leaf;
    }
    std::string type = ct.param("smime-type");
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    if (type == "enveloped-data" || type == "authenveloped-data") {
        return PartKind::Enveloped;
    }
    if (type == "signed-data") {
        return PartKind::OpaqueSigned;
    }
    if (!type.empty()) {
        return PartKind::Leaf; // certs-only and unknown types are attachments
    }
    return PartKind::Enveloped; // no smime-type: decided by the CMS content type in openEnveloped
}

std::size_t Opener::beginLayer(bool encryption) {
    Layer layer;
    layer.encryption = encryption;
    m_layers.push_back(layer);
    m_active.push_back(m_layers.size() - 1);
    if (m_descendingRoot) {
        ++m_rootLayers;
    }
    return m_layers.size() - 1;
}

void Opener::open(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    PartKind kind = classify(e);
    const bool layer = kind == PartKind::MultipartSigned || kind == PartKind::Enveloped ||
                       kind == PartKind::OpaqueSigned;
    if (layer && static_cast<int>(m_active.size()) >= m_options.maxLayers) {
        addWarning(m_report, OpenWarning::NestingLimitReached);
        openOpaqueLeaf(e, path, out);
        return;
    }
    switch (kind) {
    case PartKind::Leaf: openLeaf(e, path, out); break;
    case PartKind::Multipart: openMultipart(e, path, out); break;
    case PartKind::MultipartSigned: openMultipartSigned(e, path, out); break;
    case PartKind::Enveloped: openEnveloped(e, path, out); break;
    case PartKind::OpaqueSigned: openOpaqueSigned(e, path, out); break;
    }
}

void Opener::openLeaf(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    if (m_descendingRoot) {
        m_contentRoot = &e;
        m_descendingRoot = false;
    }
    for (std::size_t idx : m_active) {
        ++m_layers[idx].leaves;
    }
    m_leaves.push_back(Leaf{path, e.contentType.mimeType(), m_active});
    out += e.raw;
}

void Opener::openOpaqueLeaf(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    m_descendingRoot = false;
    for (std::size_t idx : m_active) {
        ++m_layers[idx].leaves;
    }
    m_leaves.push_back(Leaf{path, e.contentType.mimeType(), m_active});
    out += e.raw;
}

void Opener::openMultipart(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    if (m_descendingRoot) {
        m_contentRoot = &e;
        m_descendingRoot = false;
    }
    const std::size_t layersBefore = m_layers.size();
    const std::string boundary = e.contentType.param("boundary");
    std::string rebuilt(e.rawHeader);
    rebuilt += "\r\n";
    rebuilt += e.preamble;
    for (std::size_t i = 0; i < e.children.size(); ++i) {
        rebuilt += "\r\n--" + boundary + "\r\n";
        open(e.children[i], childPath(path, i + 1), rebuilt);
    }
    rebuilt += "\r\n--" + boundary + "--\r\n";
    rebuilt += e.epilogue;
    if (m_layers.size() == layersBefore) {
        out += e.raw; // nothing was opened below: keep the bytes as they were
    } else {
        out += rebuilt;
    }
}

std::optional<base::Bytes> Opener::decodeCms(const mime::MimeEntity& e) {
    auto text = mime::decodeBody(e);
    if (!text) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        return std::nullopt;
    }
    return base::Bytes(text->begin(), text->end());
}

void Opener::judgeSignature(std::size_t layer, const crypto::Verified& v) {
    SignatureState state = SignatureState::Valid;
    if (v.signers.empty()) {
        addWarning(m_report, OpenWarning::NoSignerInfos);
        state = SignatureState::Error;
    }
    if (v.signers.size() > 1) {
        addWarning(m_report, OpenWarning::MultipleSigners);
    }
    if (v.eContentTypeOid != kIdData) {
        addWarning(m_report, OpenWarning::EContentTypeNotData);
        state = worse(state, SignatureState::Error);
    }
    for (const auto& signer : v.signers) {
        SignerReport r;
        r.result = signer;
        if (signer.certificate) {
            r.emails = signer.certificate->emailAddresses();
            r.subject = signer.certificate->subject();
        }
        if (signer.expiredSinceSigning) {
            addWarning(m_report, OpenWarning::SignerCertificateExpiredSinceSigning);
        }
        if (signer.signingTime && *signer.signingTime > m_options.at + kClockSkew) {
            addWarning(m_report, OpenWarning::SigningTimeInFuture);
        }
        state = worse(state, toSignatureState(signer.status));
        m_layers[layer].signers.push_back(m_report.signers.size());
        m_report.signers.push_back(std::move(r));
    }
    m_layers[layer].signatureState = state;
}

void Opener::openMultipartSigned(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    if (e.children.empty()) {
        openOpaqueLeaf(e, path, out);
        return;
    }
    if (e.children.size() != 2 || !isPkcs7Signature(e.children[1].contentType)) {
        openMalformedSigned(e, path, out);
        return;
    }
    const std::size_t layer = beginLayer(false);
    m_layers[layer].signatureState = SignatureState::Error;
    if (auto der = decodeCms(e.children[1])) {
        verifyDetached(layer, *der, e.children[0].raw);
    }
    open(e.children[0], path, out);
    endLayer();
}

void Opener::verifyDetached(std::size_t layer, base::ByteView der, std::string_view signedPart) {
    crypto::VerifyOptions vo{m_options.trustAnchors, m_options.at};
    const base::ByteView exact = base::asBytes(signedPart);
    auto verified = crypto::verifyCms(der, std::span(&exact, 1), vo);
    if (!verified) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        return;
    }
    if (!verified->detached) {
        // The signature carries its own content, which is not what would be shown.
        addWarning(m_report, OpenWarning::MultipartSignedProtocolMismatch);
        return;
    }
    // Mail stored with LF line ends (mbox, Maildir on Unix) no longer holds the CRLF bytes that were
    // signed (RFC 8551 3.1.1 canonical form). Only a part without any CR is retried, so the two
    // forms differ in nothing but line ends.
    if (hasInvalidSigner(*verified) && signedPart.find('\r') == std::string_view::npos &&
        signedPart.find('\n') != std::string_view::npos) {
        const std::string canonical = mime::toCrlf(signedPart);
        const base::ByteView crlf = base::asBytes(canonical);
        auto again = crypto::verifyCms(der, std::span(&crlf, 1), vo);
        if (again && again->detached && !hasInvalidSigner(*again)) {
            verified = std::move(again);
        }
    }
    judgeSignature(layer, *verified);
}

// RFC 1847 multipart/signed has exactly two parts, the second a signature. Anything else is shown
// as multipart/mixed: the first part under a signature in error, the other displayable parts
// outside any signature, so an appended part can never borrow the signed state.
void Opener::openMalformedSigned(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    addWarning(m_report, e.children.size() != 2 ? OpenWarning::MultipartSignedPartCount
                                                : OpenWarning::MultipartSignedProtocolMismatch);
    if (m_descendingRoot) {
        m_contentRoot = &e; // not a protection layer: its first part's header is not protected
        m_descendingRoot = false;
    }
    const std::string boundary = e.contentType.param("boundary");
    std::string rebuilt;
    for (const auto& h : e.headers) {
        if (!iequals(h.name, "Content-Type")) {
            rebuilt += headerLine(h);
        }
    }
    rebuilt += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary + "\r\n";
    const std::size_t layer = beginLayer(false);
    m_layers[layer].signatureState = SignatureState::Error;
    open(e.children[0], childPath(path, 1), rebuilt);
    endLayer();
    std::size_t shown = 1;
    for (std::size_t i = 1; i < e.children.size(); ++i) {
        if (i == 1 && isPkcs7Signature(e.children[i].contentType)) {
            continue;
        }
        rebuilt += "\r\n--" + boundary + "\r\n";
        open(e.children[i], childPath(path, ++shown), rebuilt);
    }
    rebuilt += "\r\n--" + boundary + "--\r\n";
    out += rebuilt;
}

void Opener::openBuffer(std::string content, const std::string& path, std::string& out,
                        const mime::MimeEntity& origin) {
    m_buffers.push_back(std::move(content));
    auto parsed = mime::parseEntity(m_buffers.back(), m_options.limits);
    if (!parsed) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        openOpaqueLeaf(origin, path, out);
        return;
    }
    m_entities.push_back(std::move(parsed).value());
    open(m_entities.back(), path, out);
}

void Opener::openEnveloped(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    auto der = decodeCms(e);
    auto outline = der ? crypto::inspectCms(*der) : base::Result<crypto::CmsOutline>(base::makeError(
                                                        base::ErrorCode::MalformedInput, "undecodable"));
    if (!outline) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        openOpaqueLeaf(e, path, out);
        return;
    }
    if (outline->type == crypto::CmsContentType::SignedData) {
        openOpaqueSigned(e, path, out);
        return;
    }
    if (outline->type != crypto::CmsContentType::EnvelopedData &&
        outline->type != crypto::CmsContentType::AuthEnvelopedData) {
        openLeaf(e, path, out);
        return;
    }
    const std::size_t layer = beginLayer(true);
    auto decrypted = crypto::decryptCms(*der, m_options.identities);
    if (!decrypted) {
        m_layers[layer].encryptionState = EncryptionState::Failed;
        if (m_report.decryptionErrorDetail.empty()) {
            m_report.decryptionErrorDetail =
                std::string(base::errorCodeName(decrypted.error().code)) + ": " + decrypted.error().detail;
        }
        addWarning(m_report, OpenWarning::DecryptionFailed);
        openOpaqueLeaf(e, path, out);
        endLayer();
        return;
    }
    m_layers[layer].encryptionState = EncryptionState::Decrypted;
    m_layers[layer].cipher = decrypted->cipher;
    m_layers[layer].cipherOid = decrypted->contentEncryptionOid;
    openBuffer(std::move(decrypted->content), path, out, e);
    endLayer();
}

void Opener::openOpaqueSigned(const mime::MimeEntity& e, const std::string& path, std::string& out) {
    auto der = decodeCms(e);
    if (!der) {
        openOpaqueLeaf(e, path, out);
        return;
    }
    crypto::VerifyOptions vo{m_options.trustAnchors, m_options.at};
    auto verified = crypto::verifyCms(*der, {}, vo);
    if (!verified) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        openOpaqueLeaf(e, path, out);
        return;
    }
    const std::size_t layer = beginLayer(false);
    judgeSignature(layer, *verified);
    openBuffer(std::move(verified->content), path, out, e);
    endLayer();
}

void Opener::finish(const mime::MimeEntity& top) {
    OpenReport& r = m_report;
    const std::size_t total = m_leaves.size();
    auto covers = [total](const Layer& l) { return total > 0 && l.leaves == total; };

    bool anyPartialSignature = false;
    bool anyCoveringSignature = false;
    SignatureState covering = SignatureState::None;
    SignatureState partial = SignatureState::None;
    for (const Layer& l : m_layers) {
        if (l.encryption) {
            if (l.encryptionState == EncryptionState::Failed) {
                r.encryption = EncryptionState::Failed;
            } else if (r.encryption == EncryptionState::None) {
                r.encryption = EncryptionState::Decrypted;
                r.cipher = l.cipher;
                r.cipherOid = l.cipherOid;
            }
            if (!covers(l)) {
                addWarning(r, OpenWarning::EncryptedPartInsideUnprotectedContent);
            }
            continue;
        }
        if (covers(l)) {
            anyCoveringSignature = true;
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
    r.coversWholeMessage =
        !m_layers.empty() && std::all_of(m_layers.begin(), m_layers.end(), [&](const Layer& l) { return covers(l); });

    // Protected headers (RFC 9788) sit on the first content entity below the top layers.
    if (m_rootLayers > 0 && m_contentRoot != nullptr) {
        std::vector<std::pair<std::string, std::string>> fields;
        for (const auto& h : m_contentRoot->headers) {
            if (!isContentField(h.name) && !iequals(h.name, "MIME-Version")) {
                fields.emplace_back(std::string(h.name), h.value());
            }
        }
        r.headerProtection = m_contentRoot->contentType.param("hp");
        if (!fields.empty() || !r.headerProtection.empty()) {
            r.protectedHeaders = std::move(fields);
        }
    }
    auto protectedValue = [&r](std::string_view name) -> std::optional<std::string> {
        if (r.protectedHeaders) {
            for (const auto& [n, v] : *r.protectedHeaders) {
                if (iequals(n, name)) {
                    return v;
                }
            }
        }
        return std::nullopt;
    };
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
    if (auto subject = protectedValue("Subject"); subject && *subject != top.headerValue("Subject")) {
        addWarning(r, OpenWarning::ProtectedSubjectDiffers);
    }
    for (SignerReport& s : r.signers) {
        s.matchesFrom = !r.fromAddress.empty() && s.result.certificate &&
                        s.result.certificate->hasEmailAddress(r.fromAddress);
    }
    // The signers that count: those of covering layers, or, when nothing covers the whole
    // message, those of the partial ones. No such signer (broken signatures only): no answer.
    bool anyRelevant = false;
    bool all = true;
    for (const SignerReport& s : r.signers) {
        if (s.coversWholeMessage == anyCoveringSignature) {
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
    if (r.encryption == EncryptionState::Decrypted && r.cipher && !crypto::isAuthenticated(*r.cipher) &&
        r.signature != SignatureState::Valid) {
        addWarning(r, OpenWarning::UnauthenticatedEncryption);
    }
    for (const Leaf& leaf : m_leaves) {
        PartReport part{leaf.path, leaf.contentType, false, SignatureState::None};
        for (std::size_t idx : leaf.layers) {
            const Layer& l = m_layers[idx];
            if (l.encryption) {
                part.encrypted = part.encrypted || l.encryptionState == EncryptionState::Decrypted;
            } else {
                part.signature = l.signatureState; // the innermost signature wins
            }
        }
        r.parts.push_back(std::move(part));
    }
}

// The opened message: the original transport headers (protected values replacing them, RFC 9788),
// then the content headers and body of the opened top entity.
std::string assemble(const mime::MimeEntity& top, std::string_view opened, const OpenReport& report,
                     const mime::ParseLimits& limits) {
    auto inner = mime::parseEntity(opened, limits);
    if (!inner) {
        return std::string(opened);
    }
    std::string out;
    auto isProtected = [&report](std::string_view name) {
        if (!report.protectedHeaders) {
            return false;
        }
        return std::any_of(report.protectedHeaders->begin(), report.protectedHeaders->end(),
                           [name](const auto& f) { return iequals(f.first, name); });
    };
    // RFC 9788: with an hp parameter the protected header section replaces the outer one
    // entirely; merging would let unprotected outer fields (Reply-To, Cc) pass as protected.
    const bool replaceOuter = !report.headerProtection.empty() && report.protectedHeaders.has_value();
    for (const auto& h : top.headers) {
        if (!replaceOuter && !isContentField(h.name) && !iequals(h.name, "MIME-Version") && !isProtected(h.name)) {
            out += headerLine(h);
        }
    }
    if (report.protectedHeaders) {
        for (const auto& [name, value] : *report.protectedHeaders) {
            if (!iequals(name, "HP-Outer")) {
                out += name + ": " + value + "\r\n";
            }
        }
    }
    out += "MIME-Version: 1.0\r\n";
    for (const auto& h : inner->headers) {
        if (isContentField(h.name)) {
            out += headerLine(h);
        }
    }
    out += "\r\n";
    out += inner->body;
    return out;
}

} // namespace

base::Result<OpenedMessage> openMessage(std::string_view message, const OpenOptions& options) {
    auto top = mime::parseEntity(message, options.limits);
    if (!top) {
        return top.error();
    }
    OpenedMessage result;
    Opener opener(options, result.report);
    std::string opened;
    opener.open(*top, "", opened);
    opener.finish(*top);
    if (opener.hasRootLayers()) {
        result.message = assemble(*top, opened, result.report, options.limits);
    } else {
        result.message = std::move(opened);
    }
    return result;
}

} // namespace sealpost::smime
