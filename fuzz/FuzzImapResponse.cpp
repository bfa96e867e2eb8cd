// libFuzzer entry for core/mail's IMAP response parser: the input is one server response, literals
// included. Parsing, and reading LIST/FETCH data out of whatever parsed, must never crash; a
// literal's contents must be a piece of the input.
#include "mail/ImapResponse.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)sealpost::mail::trailingLiteralSize(text);
    (void)sealpost::mail::parseInternalDate(text);
    auto parsed = sealpost::mail::parseImapResponse(text);
    if (!parsed) {
        return 0;
    }
    (void)sealpost::mail::listEntry(*parsed);
    if (auto fetch = sealpost::mail::fetchEntry(*parsed)) {
        if ((fetch->header && fetch->header->size() > size) || (fetch->body && fetch->body->size() > size)) {
            __builtin_trap();
        }
    }
    return 0;
}
