#include "smime/OpenedMessage.h"

namespace sealpost::smime {

bool OpenedMessage::writeTo(base::ByteSink& sink) const {
    for (std::string_view piece : m_pieces) {
        if (!piece.empty() && !sink.write(base::asBytes(piece))) {
            return false;
        }
    }
    return true;
}

std::string OpenedMessage::text() const {
    std::string out;
    out.reserve(size());
    for (std::string_view piece : m_pieces) {
        out += piece;
    }
    return out;
}

std::size_t OpenedMessage::size() const noexcept {
    std::size_t total = 0;
    for (std::string_view piece : m_pieces) {
        total += piece.size();
    }
    return total;
}

std::string& OpenedMessage::keep(std::string buffer) {
    m_buffers.push_back(std::move(buffer));
    return m_buffers.back();
}

} // namespace sealpost::smime
