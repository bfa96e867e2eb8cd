#include "crypto/OpenSslError.h"

#include <openssl/err.h>

namespace sealpost::crypto {

std::string drainOpenSslErrors() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) {
            out += "; ";
        }
        out += buf;
    }
    return out;
}

void clearOpenSslErrors() noexcept {
    ERR_clear_error();
}

base::Error openSslError(base::ErrorCode code, std::string_view what) {
    std::string detail(what);
    const std::string queue = drainOpenSslErrors();
    if (!queue.empty()) {
        detail += " (" + queue + ")";
    }
    return base::Error{code, std::move(detail)};
}

} // namespace sealpost::crypto
