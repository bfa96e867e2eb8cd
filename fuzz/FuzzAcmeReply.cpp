// libFuzzer entry for the RFC 8823 reply parser the CA runs on every mail in its mailbox, which
// anyone can write to. Any crash, sanitizer report or trap is a bug.
#include "acme/EmailChallenge.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(data), size); // NOLINT(*-reinterpret-cast)
    auto reply = sealpost::acme::parseReply(message);
    if (reply && !sealpost::acme::isTokenPart(reply->tokenPart1)) {
        __builtin_trap(); // a parsed reply always names a well-formed token-part1
    }
    return 0;
}
