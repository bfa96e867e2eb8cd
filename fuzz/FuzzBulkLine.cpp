// libFuzzer entry for bulk sending's batch-line parser (engine::parseBulkLine) and the RFC 2047
// decoder that shows subjects: reading must never crash; an accepted line has at least one
// recipient and a one-line subject. Lines naming files are not read here (the fuzzer must not
// wander the file system): they are fed with the file fields renamed, which the parser refuses.
#include "engine/BulkSend.h"
#include "mime/EncodedWords.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    for (const std::string_view field : {"body_file", "attachments"}) {
        for (auto at = text.find(field); at != std::string::npos; at = text.find(field, at + 1)) {
            text[at] = 'X';
        }
    }
    if (auto item = sealpost::engine::parseBulkLine(text, 1, "/nonexistent-fuzz-dir");
        item && (item->to.empty() || item->subject.find_first_of("\r\n") != std::string::npos)) {
        __builtin_trap();
    }
    const std::string decoded = sealpost::mime::decodeEncodedWords(text);
    (void)decoded;
    return 0;
}
