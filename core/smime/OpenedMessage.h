#pragma once

#include "base/ByteSink.h"
#include "smime/OpenReport.h"

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::smime {

// The opened message (decrypted, signatures removed, protected headers restored to the top) as a
// list of pieces: views into the buffers it owns (the input where it is shown unchanged, the
// decrypted content, small rebuilt header and boundary lines). Large messages are never
// concatenated; callers stream them with writeTo().
class OpenedMessage {
public:
    OpenedMessage() = default;
    OpenedMessage(const OpenedMessage&) = delete; // the pieces point into this object's buffers
    OpenedMessage& operator=(const OpenedMessage&) = delete;
    OpenedMessage(OpenedMessage&&) noexcept = default; // a deque's elements stay where they are
    OpenedMessage& operator=(OpenedMessage&&) noexcept = default;
    ~OpenedMessage() = default;

    OpenReport report;

    // Writes the pieces in order; false when the sink fails.
    [[nodiscard]] bool writeTo(base::ByteSink& sink) const;
    // The whole message in one string (a copy: for small messages and tests).
    [[nodiscard]] std::string text() const;
    [[nodiscard]] std::size_t size() const noexcept;

    // For the opener: takes ownership of a buffer; the returned reference stays valid for the
    // lifetime of this object (pieces may point into it).
    std::string& keep(std::string buffer);
    void setPieces(std::vector<std::string_view> pieces) { m_pieces = std::move(pieces); }
    [[nodiscard]] const std::vector<std::string_view>& pieces() const noexcept { return m_pieces; }

private:
    std::deque<std::string> m_buffers;
    std::vector<std::string_view> m_pieces;
};

} // namespace sealpost::smime
