// Message-level benchmarks (core/smime): protectMessage (encrypt only, and sign-then-encrypt)
// and openMessage (decrypt + verify + re-assemble) on 1 KiB and 1 MiB text/plain messages,
// AES-256-GCM to one RSA-2048 recipient, signed by the same RSA-2048 identity.

#include "BenchSupport.h"
#include "smime/MessageOpener.h"
#include "smime/MessageProtector.h"

#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::bench {
namespace {

smime::ProtectRequest request(const Pki& p, bool sign) {
    smime::ProtectRequest r;
    r.now = testNow();
    if (sign) {
        r.sign =
            smime::SignStep{p.alice, smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256, std::nullopt};
    }
    r.encrypt = smime::EncryptStep{{p.alice.certificate}, crypto::EncryptOptions{}};
    return r;
}

// range(0): body bytes; range(1): 1 = sign first.
void protectArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "sign"})->ArgsProduct({{1 << 10, 1 << 20}, {0, 1}});
}

void BM_ProtectMessage(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string message = textMessage(static_cast<std::size_t>(state.range(0)));
    const smime::ProtectRequest req = request(*p, state.range(1) != 0);
    for (auto _ : state) {
        CountingSink sink;
        if (auto r = smime::protectMessage(message, req, sink); !r) {
            state.SkipWithError(r.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(sink.size());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(BM_ProtectMessage)->Apply(protectArgs)->Unit(benchmark::kMicrosecond);

void BM_OpenMessage(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string message = textMessage(static_cast<std::size_t>(state.range(0)));
    const bool sign = state.range(1) != 0;
    std::string protectedMessage;
    base::StringSink sink(protectedMessage);
    if (auto r = smime::protectMessage(message, request(*p, sign), sink); !r) {
        state.SkipWithError(r.error().detail.c_str());
        return;
    }
    const std::vector<crypto::Identity> identities{p->alice};
    smime::OpenOptions options;
    options.identities = identities;
    options.trustAnchors = p->anchors;
    options.at = testNow();
    for (auto _ : state) {
        auto opened = smime::openMessage(protectedMessage, options);
        if (!opened || opened->report.encryption != smime::EncryptionState::Decrypted ||
            (sign && opened->report.signature != smime::SignatureState::Valid)) {
            state.SkipWithError(opened ? "opened, but not decrypted and valid" : opened.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(opened->pieces().data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(protectedMessage.size()));
}
BENCHMARK(BM_OpenMessage)->Apply(protectArgs)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace sealpost::bench
