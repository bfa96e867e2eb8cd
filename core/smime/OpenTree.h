#pragma once
// Internal to the opener: the security tree the layer walk builds and the report is derived from.

#include "crypto/CmsTypes.h"
#include "smime/OpenReport.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::smime {

// One S/MIME protection layer met on the way down.
struct Layer {
    bool encryption = false;
    EncryptionState encryptionState = EncryptionState::None;
    SignatureState signatureState = SignatureState::None;
    std::optional<crypto::ContentCipher> cipher;
    std::string cipherOid;
    std::vector<std::size_t> signers; // indexes into OpenReport::signers
    std::size_t leaves = 0;           // displayed parts below it
};

// One displayed part and the layers above it.
struct Leaf {
    std::string path;
    std::string contentType;
    std::vector<std::size_t> layers; // indexes into OpenTree::layers, outermost first
};

// The outermost entity of the opened message, as the walk emitted it.
struct ShownTop {
    bool recorded = false;
    std::string contentHeader; // its Content-* fields, CRLF lines
    std::size_t bodyPiece = 0; // index of the first piece of its body
};

struct OpenTree {
    std::vector<Layer> layers;
    std::vector<Leaf> leaves;
    int rootLayers = 0; // layers above the first content entity (they cover the whole message)
};

[[nodiscard]] SignatureState worse(SignatureState a, SignatureState b) noexcept;
void addWarning(OpenReport& report, OpenWarning w);

} // namespace sealpost::smime
