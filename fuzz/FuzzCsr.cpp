// libFuzzer entry for the PKCS#10 parser the CA runs on what ACME clients send at finalize. Any
// crash, sanitizer report or trap is a bug.
#include "crypto/Csr.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parsed = sealpost::crypto::parseCsr(sealpost::base::ByteView(data, size));
    if (parsed) {
        // A CSR that parsed has a verified signature over a key we can hand on.
        auto spki = parsed->key.spkiDer();
        if (!spki || spki->empty()) {
            __builtin_trap();
        }
    }
    return 0;
}
