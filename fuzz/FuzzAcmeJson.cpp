// libFuzzer entry for what the ACME client reads from a CA: its JSON objects, problem documents
// and the Link and Retry-After header fields. The first byte picks the parser. Any crash,
// sanitizer report or trap is a bug.
#include "acme/AcmeJson.h"
#include "acme/HttpHeaders.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sealpost::acme;
    using namespace sealpost::acme::detail;
    if (size == 0) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1); // NOLINT(*-reinterpret-cast)
    switch (data[0] % 9) {
    case 0: (void)parseDirectory(input); break;
    case 1: (void)parseAccount(input); break;
    case 2: (void)parseOrder(input); break;
    case 3: (void)parseAuthorization(input); break;
    case 4: (void)parseChallenge(input); break;
    case 5: (void)parseRenewalInfo(input); break;
    case 6:
        if (auto problem = parseProblem(input, 400)) {
            (void)describeProblem(*problem);
        }
        break;
    case 7: (void)parseLinkHeaders(std::vector<std::string>{std::string(input)}); break;
    default: (void)parseRetryAfter(input, std::chrono::system_clock::from_time_t(1780272000)); break;
    }
    return 0;
}
