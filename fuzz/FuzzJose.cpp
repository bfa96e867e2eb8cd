// libFuzzer entry for the JOSE parsers the ACME client and CA run on what the other side sent:
// base64url, public JWKs and flattened JWS. The first byte picks the parser. Any crash, sanitizer
// report or trap is a bug.
#include "crypto/Jose.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace sealpost;

// The public key of RFC 7515 appendix A.3, to verify fuzzed JWS against.
const std::optional<crypto::PublicKey>& referenceKey() {
    static const std::optional<crypto::PublicKey> key = [] {
        auto parsed = crypto::parseJwk(R"({"kty":"EC","crv":"P-256",)"
                                       R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                                       R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
        return parsed ? std::optional<crypto::PublicKey>(*parsed) : std::nullopt;
    }();
    return key;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || !referenceKey()) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1); // NOLINT(*-reinterpret-cast)
    switch (data[0] % 4) {
    case 0:
        // Strict decoding: whatever decodes must encode back to exactly the input.
        if (auto decoded = crypto::base64UrlDecode(input); decoded && crypto::base64UrlEncode(*decoded) != input) {
            __builtin_trap();
        }
        break;
    case 1:
        // A JWK that parses has one canonical form, and that form parses to the same key.
        if (auto key = crypto::parseJwk(input)) {
            auto canonical = crypto::jwkJson(*key);
            if (!canonical) {
                __builtin_trap();
            }
            auto again = crypto::parseJwk(*canonical);
            if (!again || !again->sameAs(*key)) {
                __builtin_trap();
            }
        }
        break;
    case 2: (void)crypto::unverifiedProtectedHeader(input); break;
    default: (void)crypto::verifyJws(input, *referenceKey()); break;
    }
    return 0;
}
