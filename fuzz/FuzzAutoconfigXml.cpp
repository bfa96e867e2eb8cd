// libFuzzer entry for the autoconfig (config-v1.1.xml) parser: documents come from the network,
// from whoever answers for autoconfig.DOMAIN. Any crash, sanitizer report or trap is a bug.
#include "mail/AutoconfigXml.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view xml(reinterpret_cast<const char*>(data), size); // NOLINT(*-reinterpret-cast)
    auto parsed = sealpost::mail::parseAutoconfigXml(xml, "fuzz@example.org");
    if (parsed) {
        for (const auto& server : {parsed->imap, parsed->smtp}) {
            // Whatever the document says, a proposed server is usable and never plaintext.
            if (server && (server->host.empty() || server->port <= 0 || server->port > 65535 ||
                           server->security == sealpost::mail::Security::Plain)) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
