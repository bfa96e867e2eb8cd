// libFuzzer entry for the directory API (server/keydir): request targets, content types and
// bodies come from anyone on the internet. The input is split at the first two NUL bytes into
// target, Content-Type and body; the first byte picks the method. The same bytes also go to the
// submission validation in every format. Any crash, sanitizer report or trap is a bug.
#include "MemoryCertStore.h"
#include "keydir/Api.h"
#include "keydir/Validation.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string_view>

namespace {

using namespace sealpost;

std::vector<crypto::Certificate> anchors() {
    std::ifstream in(std::string(SEALPOST_TEST_DATA_DIR) + "/root-ca.cert.pem", std::ios::binary);
    std::ostringstream pem;
    pem << in.rdbuf();
    auto certs = crypto::Certificate::parseAll(base::asBytes(pem.str()));
    return certs ? std::move(certs).value() : std::vector<crypto::Certificate>{};
}

struct Fixture {
    Fixture() : clock(std::chrono::system_clock::from_time_t(1780272000)), api(store, config(), clock, nullptr) {}
    static keydir::ApiConfig config() {
        keydir::ApiConfig c;
        c.anchors = anchors();
        c.publisherToken = "fuzz-publisher-token";
        c.clientLimit = {1e9, 1e9};
        c.addressLimit = {1e9, 1e9};
        return c;
    }
    keydir::test::MemoryCertStore store;
    base::FixedClock clock;
    keydir::Api api;
};

std::string_view takeUntilNul(std::string_view& rest) {
    const std::size_t nul = rest.find('\0');
    const std::string_view out = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Fixture fixture;
    if (size == 0) {
        return 0;
    }
    static constexpr std::array<std::string_view, 5> methods{"GET", "HEAD", "POST", "PUT", "DELETE"};
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1); // NOLINT(*-reinterpret-cast)
    keydir::Request request;
    request.method = methods[data[0] % methods.size()];
    request.target = takeUntilNul(rest);
    const std::string_view type = takeUntilNul(rest);
    request.contentType = type;
    request.accept = (data[0] & 0x10) != 0 ? std::optional<std::string_view>(type) : std::nullopt;
    request.ifNoneMatch = (data[0] & 0x20) != 0 ? std::optional<std::string_view>(type) : std::nullopt;
    request.authorization = (data[0] & 0x40) != 0 ? "Bearer fuzz-publisher-token" : "Bearer x";
    request.hasContentLength = (data[0] & 0x80) != 0 || request.method == "POST";
    request.body = rest;
    request.peerAddress = "192.0.2.1";

    const keydir::Response response = fixture.api.handle(request);
    if (!response.answer || response.status < 200 || response.status > 599 ||
        (response.status >= 400 && response.answer->body.find("\"error\"") == std::string::npos &&
         response.answer->body.find("\"status\"") == std::string::npos)) {
        __builtin_trap(); // every answer is complete, and every error says what it is
    }
    for (const auto format :
         {keydir::SubmissionFormat::PemChain, keydir::SubmissionFormat::Der, keydir::SubmissionFormat::CertsOnly}) {
        const auto validation =
            keydir::validateSubmission(keydir::Submission{base::asBytes(rest), format, std::nullopt},
                                       fixture.api.config().anchors, fixture.clock.now());
        if (!validation.accepted && validation.detail.empty() && validation.reason != keydir::RejectReason::Malformed) {
            __builtin_trap(); // a refusal always says what was found
        }
    }
    return 0;
}
