// Micro-benchmarks of the CMS primitives in core/crypto: encryptCms / decryptCms (AES-256-GCM
// AuthEnvelopedData and AES-256-CBC EnvelopedData to one RSA-2048 recipient) and signCms /
// verifyCms (detached SHA-256 RSA signature), on 1 KiB and 1 MiB of content.

#include "BenchSupport.h"
#include "crypto/CmsDecryptor.h"
#include "crypto/CmsEncryptor.h"
#include "crypto/CmsSigner.h"
#include "crypto/CmsVerifier.h"

#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::bench {
namespace {

crypto::ContentCipher cipherArg(const benchmark::State& state) {
    return state.range(1) == 0 ? crypto::ContentCipher::Aes256Gcm : crypto::ContentCipher::Aes256Cbc;
}

void cipherArgs(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "cbc"})->ArgsProduct({{1 << 10, 1 << 20}, {0, 1}});
}

crypto::SignOptions signOptions() {
    crypto::SignOptions options;
    options.detached = true;
    options.signingTime = testNow();
    return options;
}

void BM_EncryptCms(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string content = textBody(static_cast<std::size_t>(state.range(0)));
    const base::ByteView piece = base::asBytes(content);
    const std::vector<crypto::Certificate> recipients{p->alice.certificate};
    crypto::EncryptOptions options;
    options.cipher = cipherArg(state);
    for (auto _ : state) {
        CountingSink sink;
        if (auto r = crypto::encryptCms(std::span(&piece, 1), recipients, options, sink); !r) {
            state.SkipWithError(r.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(sink.size());
    }
    state.SetLabel(std::string(crypto::cipherName(options.cipher)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncryptCms)->Apply(cipherArgs)->Unit(benchmark::kMicrosecond);

void BM_DecryptCms(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string content = textBody(static_cast<std::size_t>(state.range(0)));
    const base::ByteView piece = base::asBytes(content);
    const std::vector<crypto::Certificate> recipients{p->alice.certificate};
    crypto::EncryptOptions options;
    options.cipher = cipherArg(state);
    std::string der;
    base::StringSink derSink(der);
    if (auto r = crypto::encryptCms(std::span(&piece, 1), recipients, options, derSink); !r) {
        state.SkipWithError(r.error().detail.c_str());
        return;
    }
    const std::vector<crypto::Identity> identities{p->alice};
    for (auto _ : state) {
        auto decrypted = crypto::decryptCms(base::asBytes(der), identities);
        if (!decrypted) {
            state.SkipWithError(decrypted.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(decrypted->content.data());
    }
    state.SetLabel(std::string(crypto::cipherName(options.cipher)));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_DecryptCms)->Apply(cipherArgs)->Unit(benchmark::kMicrosecond);

void BM_SignCms(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string content = textBody(static_cast<std::size_t>(state.range(0)));
    const base::ByteView piece = base::asBytes(content);
    const crypto::SignOptions options = signOptions();
    for (auto _ : state) {
        CountingSink sink;
        if (auto r = crypto::signCms(std::span(&piece, 1), p->alice, options, sink); !r) {
            state.SkipWithError(r.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(sink.size());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_SignCms)->Apply(smallAndLarge)->Unit(benchmark::kMicrosecond);

void BM_VerifyCms(benchmark::State& state) {
    std::string error;
    const Pki* p = pki(error);
    if (p == nullptr) {
        state.SkipWithError(error.c_str());
        return;
    }
    const std::string content = textBody(static_cast<std::size_t>(state.range(0)));
    const base::ByteView piece = base::asBytes(content);
    std::string der;
    base::StringSink derSink(der);
    if (auto r = crypto::signCms(std::span(&piece, 1), p->alice, signOptions(), derSink); !r) {
        state.SkipWithError(r.error().detail.c_str());
        return;
    }
    const crypto::VerifyOptions options{p->anchors, testNow()};
    for (auto _ : state) {
        auto verified = crypto::verifyCms(base::asBytes(der), std::span(&piece, 1), options);
        if (!verified || verified->signers.empty() ||
            verified->signers.front().status != crypto::SignatureStatus::Valid) {
            state.SkipWithError(verified ? "signature did not verify as Valid" : verified.error().detail.c_str());
            break;
        }
        benchmark::DoNotOptimize(verified->signers.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_VerifyCms)->Apply(smallAndLarge)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace sealpost::bench
