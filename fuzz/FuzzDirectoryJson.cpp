// libFuzzer entry for core/directory's readers of the key directory's JSON answers: the input is
// one answer body, read as every kind of answer. Reading must never crash; anything accepted must
// be what the reader promises (as many results as addresses asked, fingerprints of 64 hex digits).
#include "directory/DirectoryJson.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    static const std::vector<std::string> asked{"alice@example.org", "bob@example.org"};
    if (auto lookup = sealpost::directory::parseLookupResponse(text, asked); lookup && lookup->size() != asked.size()) {
        __builtin_trap();
    }
    (void)sealpost::directory::parseCertsResponse(text, "alice@example.org");
    if (auto submission = sealpost::directory::parseSubmissionResponse(text);
        submission && submission->status != sealpost::directory::SubmissionStatus::Rejected &&
        submission->fingerprint.size() != 64) {
        __builtin_trap();
    }
    (void)sealpost::directory::parseCanEncryptResponse(text);
    (void)sealpost::directory::parseErrorBody(text);
    (void)sealpost::directory::parseRfc3339(text);
    return 0;
}
