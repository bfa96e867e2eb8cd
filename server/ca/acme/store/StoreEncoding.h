#pragma once
// Internal to ca/acme/store: how both back ends keep list-valued fields in one column.

#include "base/Bytes.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::ca::acme::encoding {

// Lists of short strings without newlines (contacts, email addresses) in one column.
inline std::string joinLines(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) {
            out += '\n';
        }
        out += item;
    }
    return out;
}
inline std::vector<std::string> splitLines(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        out.emplace_back(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return out;
}

// Chains as DER certificates each preceded by a 4-byte big-endian length.
inline base::Bytes packChain(const std::vector<base::Bytes>& chain) {
    base::Bytes out;
    for (const base::Bytes& der : chain) {
        const auto size = static_cast<std::uint32_t>(der.size());
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>(size >> shift));
        }
        out.insert(out.end(), der.begin(), der.end());
    }
    return out;
}
inline std::vector<base::Bytes> unpackChain(const base::Bytes& packed) {
    std::vector<base::Bytes> out;
    std::size_t at = 0;
    while (at + 4 <= packed.size()) {
        std::size_t size = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            size = (size << 8) | packed[at + i];
        }
        at += 4;
        if (size > packed.size() - at) {
            break;
        }
        out.emplace_back(packed.begin() + static_cast<std::ptrdiff_t>(at),
                         packed.begin() + static_cast<std::ptrdiff_t>(at + size));
        at += size;
    }
    return out;
}

} // namespace sealpost::ca::acme::encoding
