#include "smime/MessageOpener.h"

#include "smime/LayerWalker.h"
#include "smime/OpenedAssembly.h"
#include "smime/ReportFinisher.h"

namespace sealpost::smime {

base::Result<OpenedMessage> openMessage(std::string&& message, const OpenOptions& options) {
    OpenedMessage result;
    std::string& input = result.keep(std::move(message));
    auto top = mime::parseEntity(input, options.limits);
    if (!top) {
        return top.error();
    }
    LayerWalker walker(options, result, *top, &input);
    walker.walk();
    ReportFinisher(walker.tree(), result.report).finish(walker.top(), walker.contentRoot());
    Pieces pieces = walker.takePieces();
    if (walker.tree().rootLayers > 0) {
        // The top layers are gone: the original transport header goes on the opened content.
        const std::string& header = result.keep(assembleTopHeader(walker.top(), walker.shownTop(), result.report));
        const auto bodyStart = static_cast<std::ptrdiff_t>(std::min(walker.shownTop().bodyPiece, pieces.size()));
        Pieces assembled{header};
        assembled.insert(assembled.end(), pieces.begin() + bodyStart, pieces.end());
        pieces = std::move(assembled);
    }
    result.setPieces(std::move(pieces));
    return result;
}

base::Result<OpenedMessage> openMessage(std::string_view message, const OpenOptions& options) {
    return openMessage(std::string(message), options);
}

} // namespace sealpost::smime
