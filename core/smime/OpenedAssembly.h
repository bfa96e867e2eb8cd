#pragma once
// Internal to the opener: puts the restored top-level header in front of the opened content.

#include "mime/MimeEntity.h"
#include "smime/OpenReport.h"
#include "smime/OpenTree.h"

#include <string>
#include <string_view>
#include <vector>

namespace sealpost::smime {

// The header of the opened message: the original transport header fields (RFC 9788 protected
// values replacing them), MIME-Version, then the content fields of the opened top entity, and the
// blank line. Its body follows as the pieces from shown.bodyPiece on.
[[nodiscard]] std::string assembleTopHeader(const mime::MimeEntity& top, const ShownTop& shown,
                                            const OpenReport& report);

} // namespace sealpost::smime
