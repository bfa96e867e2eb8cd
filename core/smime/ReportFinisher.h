#pragma once
// Internal to the opener: derives the message-level verdict from the security tree.

#include "mime/MimeEntity.h"
#include "smime/OpenReport.h"
#include "smime/OpenTree.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealpost::smime {

// Fills the message-level fields of an OpenReport (encryption, signature, coverage, protected
// headers, From checks, per-part states) from the layers and leaves the walk recorded.
class ReportFinisher {
public:
    ReportFinisher(const OpenTree& tree, OpenReport& report) : m_tree(tree), m_report(report) {}

    // `top`: the top-level header; `contentRoot`: the first content entity below the top layers.
    void finish(const mime::MimeEntity& top, const mime::MimeEntity* contentRoot);

private:
    [[nodiscard]] bool covers(const Layer& l) const;
    void summarizeLayers();
    void readProtectedHeaders(const mime::MimeEntity* contentRoot);
    [[nodiscard]] std::optional<std::string> protectedValue(std::string_view name) const;
    void checkFrom(const mime::MimeEntity& top);
    void matchSigners();
    void reportParts();

    const OpenTree& m_tree;
    OpenReport& m_report;
    bool m_anyCoveringSignature = false;
};

} // namespace sealpost::smime
