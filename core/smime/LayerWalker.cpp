#include "smime/LayerWalker.h"

#include "crypto/CmsDecryptor.h"
#include "crypto/CmsOutline.h"
#include "mime/Canonical.h"
#include "mime/TransferEncoding.h"
#include "smime/HeaderUtil.h"
#include "smime/LegacyDisplay.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace sealpost::smime {

namespace {

constexpr std::string_view kIdData = "1.2.840.113549.1.7.1";
// Clocks drift; a signing time this far ahead of "now" is worth a warning.
constexpr auto kClockSkew = std::chrono::minutes(10);

bool isPkcs7Mime(const mime::ContentType& ct) {
    return ct.is("application", "pkcs7-mime") || ct.is("application", "x-pkcs7-mime");
}

bool isPkcs7Signature(const mime::ContentType& ct) {
    return ct.is("application", "pkcs7-signature") || ct.is("application", "x-pkcs7-signature");
}

std::string childPath(const std::string& parent, std::size_t index) {
    return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
}

bool hasInvalidSigner(const crypto::Verified& v) {
    return std::any_of(v.signers.begin(), v.signers.end(),
                       [](const crypto::SignerResult& s) { return s.status == crypto::SignatureStatus::Invalid; });
}

// Header block and blank line exactly as received.
std::string_view headerPart(const mime::MimeEntity& e) {
    return e.raw.substr(0, e.raw.size() - e.body.size());
}

std::string contentLines(const mime::MimeEntity& e) {
    std::string out;
    for (const auto& h : e.headers) {
        if (isContentField(h.name)) {
            out += headerLine(h);
        }
    }
    return out;
}

void release(base::Bytes& bytes) {
    base::Bytes().swap(bytes);
}

} // namespace

LayerWalker::LayerWalker(const OpenOptions& options, OpenedMessage& output, const mime::MimeEntity& top,
                         std::string* input)
    : m_options(options), m_output(output), m_report(output.report), m_top(&top), m_input(input) {}

void LayerWalker::walk() {
    open(*m_top, "", m_pieces);
}

void LayerWalker::walkDecrypted(crypto::Decrypted decrypted) {
    const mime::MimeEntity& e = *m_top;
    // As open() -> openEnveloped() at the top, past decryption.
    const Saved saved = releaseInput(e);
    const std::size_t layer = beginLayer(true);
    recordDecrypted(layer, decrypted);
    openBuffer(std::move(decrypted.content), "", m_pieces, e, saved);
    endLayer();
}

LayerWalker::PartKind LayerWalker::classify(const mime::MimeEntity& e) {
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

std::size_t LayerWalker::beginLayer(bool encryption) {
    Layer layer;
    layer.encryption = encryption;
    m_tree.layers.push_back(layer);
    m_active.push_back(m_tree.layers.size() - 1);
    if (m_descendingRoot) {
        ++m_tree.rootLayers;
    }
    return m_tree.layers.size() - 1;
}

void LayerWalker::addLeaf(const std::string& path, std::string mimeType) {
    for (std::size_t idx : m_active) {
        ++m_tree.layers[idx].leaves;
    }
    m_tree.leaves.push_back(Leaf{path, std::move(mimeType), m_active});
}

void LayerWalker::takeContentRoot(const mime::MimeEntity& e) {
    if (m_descendingRoot) {
        m_contentRoot = &e;
        m_descendingRoot = false;
    }
}

void LayerWalker::noteTop(bool outermost, std::string contentHeader, std::size_t bodyPiece) {
    if (outermost) {
        m_shown.contentHeader = std::move(contentHeader);
        m_shown.bodyPiece = bodyPiece;
    }
}

void LayerWalker::open(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    PartKind kind = classify(e);
    const bool layer =
        kind == PartKind::MultipartSigned || kind == PartKind::Enveloped || kind == PartKind::OpaqueSigned;
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
    case PartKind::OpaqueSigned: {
        auto der = decodeCms(e);
        if (!der) {
            openOpaqueLeaf(e, path, out);
            break;
        }
        openOpaqueSigned(e, std::move(*der), path, out);
        break;
    }
    }
}

void LayerWalker::openLeaf(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    takeContentRoot(e);
    if (!openWithoutLegacyDisplay(e, path, out)) {
        openOpaqueLeaf(e, path, out);
    }
}

// RFC 9788 4.5.3: under header protection the protected Subject is shown as the Subject, so the
// legacy display element (for readers without header protection) would show it twice. Only a
// part inside the protection layers whose payload has hp is changed, and only when its text
// really starts with header-like lines and a blank line.
bool LayerWalker::openWithoutLegacyDisplay(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    if (m_tree.rootLayers == 0 || m_contentRoot == nullptr || m_contentRoot->contentType.param("hp").empty() ||
        e.contentType.param(kLegacyDisplayParam) != "1") {
        return false;
    }
    auto decoded = mime::decodeBody(e);
    if (!decoded) {
        return false;
    }
    auto stripped = stripLegacyDisplay(*decoded);
    if (!stripped) {
        return false;
    }
    std::string header;
    std::string content;
    for (const auto& h : e.headers) {
        std::string line = headerLine(h);
        if (iequals(h.name, "Content-Type")) {
            line = std::string(h.name) + ":" + removeParameter(mime::toCrlf(h.rawValue), kLegacyDisplayParam) + "\r\n";
        }
        header += line;
        if (isContentField(h.name)) {
            content += line;
        }
    }
    m_descendingRoot = false;
    ++m_rewrittenLeaves;
    addLeaf(path, e.contentType.mimeType());
    const bool outermost = !std::exchange(m_shown.recorded, true);
    out.push_back(own(header + "\r\n"));
    noteTop(outermost, outermost ? content : std::string(), out.size());
    out.push_back(own(encodeAs(e.transferEncoding, *stripped)));
    return true;
}

// Also a part shown as it is (an undecryptable or broken S/MIME entity): never a content root, so
// its header is not mistaken for a protected header section.
void LayerWalker::openOpaqueLeaf(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    m_descendingRoot = false;
    addLeaf(path, e.contentType.mimeType());
    const bool outermost = !std::exchange(m_shown.recorded, true);
    out.push_back(headerPart(e));
    noteTop(outermost, outermost ? contentLines(e) : std::string(), out.size());
    out.push_back(e.body);
}

void LayerWalker::openMultipart(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    takeContentRoot(e);
    const bool outermost = !std::exchange(m_shown.recorded, true);
    const std::size_t mark = out.size();
    const std::size_t layersBefore = m_tree.layers.size();
    const std::size_t rewrittenBefore = m_rewrittenLeaves;
    const std::string boundary = e.contentType.param("boundary");
    out.push_back(e.rawHeader);
    out.push_back("\r\n");
    std::size_t body = out.size();
    out.push_back(e.preamble);
    const std::string_view delimiter = own("\r\n--" + boundary + "\r\n");
    for (std::size_t i = 0; i < e.children.size(); ++i) {
        out.push_back(delimiter);
        open(e.children[i], childPath(path, i + 1), out);
    }
    out.push_back(own("\r\n--" + boundary + "--\r\n"));
    out.push_back(e.epilogue);
    if (m_tree.layers.size() == layersBefore && m_rewrittenLeaves == rewrittenBefore) {
        out.resize(mark); // nothing was opened or changed below: keep the bytes as they were
        out.push_back(headerPart(e));
        body = out.size();
        out.push_back(e.body);
    }
    noteTop(outermost, outermost ? contentLines(e) : std::string(), body);
}

std::optional<base::Bytes> LayerWalker::decodeCms(const mime::MimeEntity& e) {
    if (e.transferEncoding == "base64") {
        auto der = mime::decodeBase64(e.body); // straight into bytes: no string in between
        if (der) {
            return std::move(der).value();
        }
    } else if (auto text = mime::decodeBody(e)) {
        return base::Bytes(text->begin(), text->end());
    }
    addWarning(m_report, OpenWarning::BrokenSmimePart);
    return std::nullopt;
}

void LayerWalker::judgeSignature(std::size_t layer, const crypto::Verified& v) {
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
        m_tree.layers[layer].signers.push_back(m_report.signers.size());
        m_report.signers.push_back(std::move(r));
    }
    m_tree.layers[layer].signatureState = state;
}

void LayerWalker::openMultipartSigned(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    if (e.children.empty()) {
        openOpaqueLeaf(e, path, out);
        return;
    }
    if (e.children.size() != 2 || !isPkcs7Signature(e.children[1].contentType)) {
        openMalformedSigned(e, path, out);
        return;
    }
    const std::size_t layer = beginLayer(false);
    m_tree.layers[layer].signatureState = SignatureState::Error;
    if (auto der = decodeCms(e.children[1])) {
        verifyDetached(layer, *der, e.children[0].raw);
    }
    open(e.children[0], path, out);
    endLayer();
}

void LayerWalker::verifyDetached(std::size_t layer, base::ByteView der, std::string_view signedPart) {
    crypto::VerifyOptions vo{m_options.trustAnchors, m_options.at, m_options.certificateCache};
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
void LayerWalker::openMalformedSigned(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    addWarning(m_report, e.children.size() != 2 ? OpenWarning::MultipartSignedPartCount
                                                : OpenWarning::MultipartSignedProtocolMismatch);
    takeContentRoot(e); // not a protection layer: its first part's header is not protected
    const bool outermost = !std::exchange(m_shown.recorded, true);
    const std::string boundary = e.contentType.param("boundary");
    std::string header;
    std::string content;
    for (const auto& h : e.headers) {
        if (!iequals(h.name, "Content-Type")) {
            header += headerLine(h);
            content += isContentField(h.name) ? headerLine(h) : std::string();
        }
    }
    const std::string contentType = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n";
    out.push_back(own(header + contentType + "\r\n"));
    noteTop(outermost, content + contentType, out.size());
    const std::string_view delimiter = own("\r\n--" + boundary + "\r\n");
    out.push_back(delimiter.substr(2));
    const std::size_t layer = beginLayer(false);
    m_tree.layers[layer].signatureState = SignatureState::Error;
    open(e.children[0], childPath(path, 1), out);
    endLayer();
    std::size_t shown = 1;
    for (std::size_t i = 1; i < e.children.size(); ++i) {
        if (i == 1 && isPkcs7Signature(e.children[i].contentType)) {
            continue;
        }
        out.push_back(delimiter);
        open(e.children[i], childPath(path, ++shown), out);
    }
    out.push_back(own("\r\n--" + boundary + "--\r\n"));
}

LayerWalker::Saved LayerWalker::releaseInput(const mime::MimeEntity& e) {
    Saved saved;
    if (!m_descendingRoot || m_input == nullptr || m_input->empty()) {
        return saved;
    }
    // Nothing of the input is shown or verified after this layer but the top-level header.
    const std::string& headerCopy = m_output.keep(std::string(m_top->rawHeader) + "\r\n");
    auto parsed = mime::parseEntity(headerCopy, m_options.limits);
    if (!parsed) {
        return saved;
    }
    saved.released = true;
    saved.header = own(std::string(headerPart(e)));
    saved.contentHeader = contentLines(e);
    saved.mimeType = e.contentType.mimeType();
    saved.transferEncoding = e.transferEncoding;
    m_topCopy = std::move(parsed).value();
    m_top = &*m_topCopy;
    std::string().swap(*m_input);
    return saved;
}

void LayerWalker::showUndecoded(const mime::MimeEntity& e, const Saved& saved, base::ByteView der,
                                const std::string& path, Pieces& out) {
    if (!saved.released) {
        openOpaqueLeaf(e, path, out);
        return;
    }
    // `e` is gone with the input: shown with its own header and its CMS encoded again.
    m_descendingRoot = false;
    addLeaf(path, saved.mimeType);
    const bool outermost = !std::exchange(m_shown.recorded, true);
    out.push_back(saved.header);
    noteTop(outermost, saved.contentHeader, out.size());
    out.push_back(own(saved.transferEncoding == "base64" ? mime::encodeBase64(der) : std::string(base::asString(der))));
}

void LayerWalker::openBuffer(std::string content, const std::string& path, Pieces& out, const mime::MimeEntity& origin,
                             const Saved& saved) {
    const std::string& buffer = m_output.keep(std::move(content));
    auto parsed = mime::parseEntity(buffer, m_options.limits);
    if (!parsed) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        showUndecoded(origin, saved, {}, path, out); // the content cannot be shown as MIME
        return;
    }
    m_entities.push_back(std::move(parsed).value());
    open(m_entities.back(), path, out);
}

void LayerWalker::openEnveloped(const mime::MimeEntity& e, const std::string& path, Pieces& out) {
    auto der = decodeCms(e);
    auto outline = der ? crypto::inspectCms(*der)
                       : base::Result<crypto::CmsOutline>(base::makeError(base::ErrorCode::MalformedInput, ""));
    if (der && !outline) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
    }
    if (!outline) {
        openOpaqueLeaf(e, path, out);
        return;
    }
    if (outline->type == crypto::CmsContentType::SignedData) {
        openOpaqueSigned(e, std::move(*der), path, out);
        return;
    }
    if (outline->type != crypto::CmsContentType::EnvelopedData &&
        outline->type != crypto::CmsContentType::AuthEnvelopedData) {
        openLeaf(e, path, out);
        return;
    }
    if (!m_descendingRoot) {
        // EFAIL: decrypted content must never be shown next to parts anyone could have written.
        addWarning(m_report, OpenWarning::EncryptedPartInsideUnprotectedContent);
        openOpaqueLeaf(e, path, out);
        return;
    }
    const Saved saved = releaseInput(e);
    const std::size_t layer = beginLayer(true);
    if (auto plaintext = decrypt(layer, std::move(*der), e, saved, path, out)) {
        openBuffer(std::move(*plaintext), path, out, e, saved);
    }
    endLayer();
}

// Returns only the plaintext, so the DER and OpenSSL's parsed ciphertext are gone before the
// content is opened further. Shows the entity undecrypted on failure.
std::optional<std::string> LayerWalker::decrypt(std::size_t layer, base::Bytes der, const mime::MimeEntity& e,
                                                const Saved& saved, const std::string& path, Pieces& out) {
    auto parsed = crypto::CmsDecryptor::parse(der);
    if (parsed) {
        release(der);
    }
    auto decrypted = parsed ? parsed->decrypt(m_options.identities) : base::Result<crypto::Decrypted>(parsed.error());
    if (!decrypted) {
        m_tree.layers[layer].encryptionState = EncryptionState::Failed;
        if (m_report.decryptionErrorDetail.empty()) {
            m_report.decryptionErrorDetail =
                std::string(base::errorCodeName(decrypted.error().code)) + ": " + decrypted.error().detail;
        }
        addWarning(m_report, OpenWarning::DecryptionFailed);
        base::Bytes encoded;
        if (parsed && saved.released) {
            if (auto again = parsed->encode()) {
                encoded = std::move(again).value();
            }
        }
        showUndecoded(e, saved, parsed ? base::ByteView(encoded) : base::ByteView(der), path, out);
        return std::nullopt;
    }
    recordDecrypted(layer, *decrypted);
    return std::move(decrypted->content);
}

void LayerWalker::recordDecrypted(std::size_t layer, const crypto::Decrypted& decrypted) {
    m_tree.layers[layer].encryptionState = EncryptionState::Decrypted;
    m_tree.layers[layer].cipher = decrypted.cipher;
    m_tree.layers[layer].cipherOid = decrypted.contentEncryptionOid;
}

void LayerWalker::openOpaqueSigned(const mime::MimeEntity& e, base::Bytes der, const std::string& path, Pieces& out) {
    const Saved saved = releaseInput(e);
    crypto::VerifyOptions vo{m_options.trustAnchors, m_options.at, m_options.certificateCache};
    auto verified = crypto::verifyCms(der, {}, vo);
    if (!verified) {
        addWarning(m_report, OpenWarning::BrokenSmimePart);
        showUndecoded(e, saved, der, path, out);
        return;
    }
    release(der);
    const std::size_t layer = beginLayer(false);
    judgeSignature(layer, *verified);
    openBuffer(std::move(verified->content), path, out, e, saved);
    endLayer();
}

} // namespace sealpost::smime
