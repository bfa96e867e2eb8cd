// libFuzzer target: the whole `open` path (MIME parse, CMS decode, decrypt, verify, report), in
// memory and streamed (header scan, incremental base64, BER envelope reader, in-place decryption).
#include "crypto/Certificate.h"
#include "crypto/CertificateCache.h"
#include "crypto/PrivateKey.h"
#include "smime/MessageOpener.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace {

std::string slurp(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Keys {
    std::vector<sealpost::crypto::Identity> identities;
    std::vector<sealpost::crypto::Certificate> anchors;
    Keys() {
        using namespace sealpost;
        const std::string dir = SEALPOST_TEST_DATA_DIR;
        auto key = crypto::PrivateKey::parse(base::asBytes(slurp((dir + "/alice.key.pem").c_str())));
        auto cert = crypto::Certificate::parseAll(base::asBytes(slurp((dir + "/alice.cert.pem").c_str())));
        auto root = crypto::Certificate::parseAll(base::asBytes(slurp((dir + "/root-ca.cert.pem").c_str())));
        if (key && cert && root) {
            identities.push_back(crypto::Identity{*key, cert->front(), {}});
            anchors = *root;
        }
    }
};

} // namespace

namespace {

using Opened = sealpost::base::Result<sealpost::smime::OpenedMessage>;

bool same(const Opened& a, const Opened& b) {
    if (a.ok() != b.ok()) {
        return false;
    }
    if (!a) {
        return a.error().detail == b.error().detail;
    }
    // Every piece must still point into a live buffer (ASan checks the reads).
    return a->text() == b->text() && a->report.encryption == b->report.encryption &&
           a->report.signature == b->report.signature && a->report.warnings == b->report.warnings;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Keys keys;
    sealpost::smime::OpenOptions options;
    options.identities = keys.identities;
    options.trustAnchors = keys.anchors;
    options.at = std::chrono::system_clock::from_time_t(1780272000); // 2026-06-01
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // The streamed open (header scan, base64 and BER read as they come, decryption in place, a
    // certificate cache) must agree with the in-memory one on every input.
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto opened = sealpost::smime::openMessage(input, options);
        // The streamed open also reuses parsed certificates, which must change nothing either.
        static sealpost::crypto::CertificateCache cache;
        sealpost::smime::OpenOptions cached = options;
        cached.certificateCache = &cache;
        sealpost::base::ViewSource source(input);
        auto streamed = sealpost::smime::openMessage(source, cached);
        if (same(opened, streamed)) {
            return 0;
        }
        // Not necessarily a bug: when RSA key transport fails, OpenSSL decrypts with a random key
        // (Bleichenbacher countermeasure), and about one CBC attempt in 256 then ends in valid
        // padding, so such inputs open differently from run to run. A real difference between
        // the two paths is deterministic and survives every retry.
    }
    std::abort();
}
