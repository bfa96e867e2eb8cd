#pragma once
// Internal to the opener: the top-down walk that opens S/MIME layers.

#include "base/Bytes.h"
#include "crypto/CmsDecryptor.h"
#include "crypto/CmsVerifier.h"
#include "mime/MimeEntity.h"
#include "smime/MessageOpener.h"
#include "smime/OpenTree.h"
#include "smime/OpenedMessage.h"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::smime {

using Pieces = std::vector<std::string_view>;

// Walks a parsed message, decrypts and verifies its layers, and emits the opened form as pieces
// pointing into buffers that `output` owns. Records the security tree (layers above every
// displayed part) and puts signer results and warnings into output.report.
//
// Only layers at the top (possibly under signature layers) are decrypted: an encrypted part
// inside unprotected content stays an attachment (EFAIL: its plaintext would otherwise be shown
// next to parts anyone could have written).
class LayerWalker {
public:
    // `input` (null: the caller keeps it) is the buffer `top` was parsed from, owned by `output`.
    // It is released as soon as the outermost encrypted or opaque-signed layer is decoded; from
    // then on top() is a parsed copy of the top-level header only.
    LayerWalker(const OpenOptions& options, OpenedMessage& output, const mime::MimeEntity& top, std::string* input);

    void walk();
    // For a message whose top level is an encrypted layer that the caller already decrypted
    // (streamed from a file): opens it as walk() would after a successful decryption. `input`
    // holds only the top-level header block.
    void walkDecrypted(crypto::Decrypted decrypted);

    // Whether walk() would open `e` as an encrypted layer (subject to the CMS content type).
    [[nodiscard]] static bool isEnvelopedCandidate(const mime::MimeEntity& e) {
        return classify(e) == PartKind::Enveloped;
    }

    [[nodiscard]] const mime::MimeEntity& top() const noexcept { return *m_top; }
    [[nodiscard]] const OpenTree& tree() const noexcept { return m_tree; }
    [[nodiscard]] const ShownTop& shownTop() const noexcept { return m_shown; }
    [[nodiscard]] const mime::MimeEntity* contentRoot() const noexcept { return m_contentRoot; }
    [[nodiscard]] Pieces takePieces() { return std::move(m_pieces); }

private:
    enum class PartKind { Leaf, Multipart, MultipartSigned, Enveloped, OpaqueSigned };

    // An entity that is shown undecoded although the input it was parsed from is gone.
    struct Saved {
        bool released = false;   // false: the entity itself is still valid, show it
        std::string_view header; // header block and blank line, owned by the output
        std::string contentHeader;
        std::string mimeType;
        std::string transferEncoding;
    };

    [[nodiscard]] static PartKind classify(const mime::MimeEntity& e);
    void open(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void openLeaf(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    [[nodiscard]] bool openWithoutLegacyDisplay(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void openOpaqueLeaf(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void openMultipart(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void openMultipartSigned(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void openMalformedSigned(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void verifyDetached(std::size_t layer, base::ByteView der, std::string_view signedPart);
    void openEnveloped(const mime::MimeEntity& e, const std::string& path, Pieces& out);
    void recordDecrypted(std::size_t layer, const crypto::Decrypted& decrypted);
    std::optional<std::string> decrypt(std::size_t layer, base::Bytes der, const mime::MimeEntity& e,
                                       const Saved& saved, const std::string& path, Pieces& out);
    void openOpaqueSigned(const mime::MimeEntity& e, base::Bytes der, const std::string& path, Pieces& out);
    void openBuffer(std::string content, const std::string& path, Pieces& out, const mime::MimeEntity& origin,
                    const Saved& saved);
    void showUndecoded(const mime::MimeEntity& e, const Saved& saved, base::ByteView der, const std::string& path,
                       Pieces& out);
    [[nodiscard]] Saved releaseInput(const mime::MimeEntity& e);
    std::size_t beginLayer(bool encryption);
    void endLayer() { m_active.pop_back(); }
    void addLeaf(const std::string& path, std::string mimeType);
    void takeContentRoot(const mime::MimeEntity& e);
    void noteTop(bool outermost, std::string contentHeader, std::size_t bodyPiece);
    void judgeSignature(std::size_t layer, const crypto::Verified& v);
    std::optional<base::Bytes> decodeCms(const mime::MimeEntity& e);
    std::string_view own(std::string text) { return m_output.keep(std::move(text)); }

    const OpenOptions& m_options;
    OpenedMessage& m_output;
    OpenReport& m_report;
    const mime::MimeEntity* m_top;
    std::optional<mime::MimeEntity> m_topCopy;
    std::string* m_input;
    std::deque<mime::MimeEntity> m_entities; // parsed decrypted / unwrapped content
    OpenTree m_tree;
    std::vector<std::size_t> m_active;
    Pieces m_pieces;
    ShownTop m_shown;
    const mime::MimeEntity* m_contentRoot = nullptr;
    bool m_descendingRoot = true;
    std::size_t m_rewrittenLeaves = 0; // parts shown changed (legacy display element removed)
};

} // namespace sealpost::smime
