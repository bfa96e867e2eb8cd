// libFuzzer entry for core/mime: parses the input, checks that every view stays inside its
// parent, and decodes every leaf body. Any crash, sanitizer report or trap is a bug.
#include "mime/Address.h"
#include "mime/MimeEntity.h"
#include "mime/TransferEncoding.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using sealpost::mime::MimeEntity;

// Empty views may be default-constructed (e.g. the preamble of a leaf), so only non-empty ones count.
bool inside(std::string_view inner, std::string_view outer) {
    return inner.empty() ||
           (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

void checkEntity(const MimeEntity& entity) {
    if (!inside(entity.rawHeader, entity.raw) || !inside(entity.body, entity.raw) ||
        !inside(entity.preamble, entity.body) || !inside(entity.epilogue, entity.body)) {
        __builtin_trap();
    }
    for (const auto& field : entity.headers) {
        if (!inside(field.name, entity.rawHeader) || !inside(field.rawValue, entity.rawHeader)) {
            __builtin_trap();
        }
    }
    for (const MimeEntity& child : entity.children) {
        if (!inside(child.raw, entity.body) || child.depth != entity.depth + 1) {
            __builtin_trap();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view buffer(reinterpret_cast<const char*>(data), size);
    sealpost::mime::ParseLimits limits;
    limits.maxHeaderBytes = std::size_t{64} * 1024; // keep the fuzzer's inputs cheap; logic is limit-independent
    const auto parsed = sealpost::mime::parseEntity(buffer, limits);
    if (!parsed.ok()) {
        return 0;
    }
    // Explicit stack: the fuzzer's own walk must not recurse on deep trees either.
    std::vector<const MimeEntity*> pending{&*parsed};
    while (!pending.empty()) {
        const MimeEntity* entity = pending.back();
        pending.pop_back();
        checkEntity(*entity);
        (void)sealpost::mime::parseAddressList(entity->headerValue("From"));
        if (entity->isMultipart()) {
            for (const MimeEntity& child : entity->children) {
                pending.push_back(&child);
            }
        } else {
            (void)sealpost::mime::decodeBody(*entity);
        }
    }
    return 0;
}
