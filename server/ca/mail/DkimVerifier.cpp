#include "ca/mail/DkimVerifier.h"

#include "mime/Address.h"
#include "mime/Ascii.h"
#include "mime/MimeEntity.h"

#include <string>
#include <vector>

// dkim.h is C99 and spells bool as _Bool, which C++ lacks; both are the same one-byte type in the
// platform ABI.
#define _Bool bool // NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
#include <opendkim/dkim.h>
#undef _Bool

namespace sealpost::ca::mail {

using base::ErrorCode;

namespace {

struct LibCloser {
    void operator()(DKIM_LIB* lib) const noexcept { dkim_close(lib); }
};
struct DkimFree {
    void operator()(DKIM* dkim) const noexcept { dkim_free(dkim); }
};
using LibPtr = std::unique_ptr<DKIM_LIB, LibCloser>;
using DkimPtr = std::unique_ptr<DKIM, DkimFree>;

// libopendkim takes non-const pointers to option values and header names it only reads.
bool setOption(DKIM_LIB* lib, dkim_opts_t option, void* value, std::size_t size) {
    return dkim_options(lib, DKIM_OP_SETOPT, option, value, size) == DKIM_STAT_OK;
}

bool signs(DKIM_SIGINFO* sig, const char* header) {
    std::string name(header);
    return dkim_sig_hdrsigned(sig, reinterpret_cast<u_char*>(name.data()));
}

// The domain of the message's single From address, lower-case.
base::Result<std::string> fromDomain(std::string_view message) {
    auto top = mime::parseEntity(message);
    if (!top) {
        return base::makeError(ErrorCode::MalformedInput, "unparseable message: " + top.error().detail);
    }
    int fields = 0;
    std::string value;
    for (const auto& h : top->headers) {
        if (mime::equalsIgnoreCase(h.name, "From")) {
            ++fields;
            value = h.value();
        }
    }
    const auto addresses = mime::parseAddressList(value);
    if (fields != 1 || addresses.size() != 1) {
        return base::makeError(ErrorCode::MalformedInput, "the message has no single From address");
    }
    const auto at = addresses.front().rfind('@');
    return mime::toLowerAscii(std::string_view(addresses.front()).substr(at + 1));
}

} // namespace

struct DkimVerifier::Impl {
    LibPtr lib;
};

DkimVerifier::DkimVerifier(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
DkimVerifier::~DkimVerifier() = default;
DkimVerifier::DkimVerifier(DkimVerifier&&) noexcept = default;
DkimVerifier& DkimVerifier::operator=(DkimVerifier&&) noexcept = default;

base::Result<DkimVerifier> DkimVerifier::create(const DkimOptions& options) {
    LibPtr lib(dkim_init(nullptr, nullptr));
    if (!lib) {
        return base::makeError(ErrorCode::Unsupported, "libopendkim could not be initialised");
    }
    // Bare LF line ends are accepted as CRLF, as they come from an IMAP store converted or not.
    unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
    if (!setOption(lib.get(), DKIM_OPTS_FLAGS, &flags, sizeof flags)) {
        return base::makeError(ErrorCode::Unsupported, "libopendkim refused its flags");
    }
    if (!options.keyFile.empty()) {
        dkim_query_t method = DKIM_QUERY_FILE;
        std::string path = options.keyFile;
        if (!setOption(lib.get(), DKIM_OPTS_QUERYMETHOD, &method, sizeof method) ||
            !setOption(lib.get(), DKIM_OPTS_QUERYINFO, path.data(), path.size())) {
            return base::makeError(ErrorCode::Unsupported, "libopendkim refused the key file option");
        }
    }
    auto impl = std::make_unique<Impl>();
    impl->lib = std::move(lib);
    return DkimVerifier(std::move(impl));
}

base::Result<DkimCheck> DkimVerifier::verify(std::string_view message) const {
    auto domain = fromDomain(message);
    if (!domain) {
        return domain.error();
    }
    DKIM_STAT status = DKIM_STAT_OK;
    const std::string jobId = "sealpost-ca";
    DkimPtr dkim(dkim_verify(m_impl->lib.get(), reinterpret_cast<const u_char*>(jobId.c_str()), nullptr, &status));
    if (!dkim) {
        return base::makeError(ErrorCode::CryptoFailure,
                               std::string("dkim_verify failed: ") + dkim_getresultstr(status));
    }
    std::vector<u_char> buffer(message.begin(), message.end());
    status = dkim_chunk(dkim.get(), buffer.data(), buffer.size());
    if (status == DKIM_STAT_OK) {
        status = dkim_chunk(dkim.get(), nullptr, 0);
    }
    if (status == DKIM_STAT_OK) {
        status = dkim_eom(dkim.get(), nullptr);
    }
    DkimCheck check;
    if (status == DKIM_STAT_NOSIG) {
        check.detail = "no DKIM signature";
        return check;
    }
    DKIM_SIGINFO** sigs = nullptr;
    int count = 0;
    if (dkim_getsiglist(dkim.get(), &sigs, &count) != DKIM_STAT_OK || count == 0) {
        check.detail = std::string("no usable DKIM signature: ") + dkim_getresultstr(status);
        return check;
    }
    check.detail = "no valid DKIM signature of " + *domain + " covering From and Subject";
    for (int i = 0; i < count; ++i) {
        DKIM_SIGINFO* sig = sigs[i];
        const u_char* d = dkim_sig_getdomain(sig);
        const bool passed =
            (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED) != 0 && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH;
        if (passed && d != nullptr && mime::equalsIgnoreCase(reinterpret_cast<const char*>(d), *domain) &&
            signs(sig, "from") && signs(sig, "subject")) {
            check.verified = true;
            check.detail = "d=" + *domain;
            return check;
        }
        if (d != nullptr && !passed) {
            check.detail += std::string("; d=") + reinterpret_cast<const char*>(d) + ": " +
                            dkim_sig_geterrorstr(dkim_sig_geterror(sig));
        }
    }
    return check;
}

} // namespace sealpost::ca::mail
