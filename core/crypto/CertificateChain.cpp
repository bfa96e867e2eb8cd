#include "crypto/CertificateChain.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <system_error>

namespace sealpost::crypto {

ChainCheck checkChain(const Certificate& leaf, std::span<const Certificate> untrusted,
                      std::span<const Certificate> anchors, base::TimePoint at, ChainPurpose purpose) {
    ChainCheck result;
    // The anchors go in as a trusted stack (what `openssl verify -trusted` does), not into the
    // X509_STORE: X509_STORE_add_cert() looks for a duplicate in a sorted index that every add
    // unsorts, so filling a store with the ~140 system anchors costs a sort per anchor, on every
    // check. A stack of borrowed pointers costs nothing to build; issuers are looked up in it by
    // a linear scan once per step of the path.
    OsslPtr<X509_STORE> store(X509_STORE_new()); // empty: only for the context's defaults
    X509RefStackPtr trusted(sk_X509_new_reserve(nullptr, static_cast<int>(anchors.size())));
    X509RefStackPtr intermediates(sk_X509_new_null());
    OsslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    if (!store || !trusted || !intermediates || !ctx) {
        result.detail = openSslError(base::ErrorCode::CryptoFailure, "chain check setup").detail;
        return result;
    }
    for (const Certificate& a : anchors) {
        sk_X509_push(trusted.get(), a.native());
    }
    for (const Certificate& c : untrusted) {
        sk_X509_push(intermediates.get(), c.native());
    }
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), intermediates.get()) != 1) {
        result.detail = openSslError(base::ErrorCode::CryptoFailure, "chain check setup").detail;
        return result;
    }
    X509_STORE_CTX_set0_trusted_stack(ctx.get(), trusted.get()); // borrowed; outlives ctx
    if (purpose == ChainPurpose::SmimeSigning) {
        X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN);
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get()); // borrowed
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    result.valid = X509_verify_cert(ctx.get()) == 1;
    result.problem = ChainProblem::None;
    if (result.valid) {
        STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get()); // borrowed
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            result.chain.push_back(Certificate::share(sk_X509_value(chain, i)));
        }
    } else {
        const int err = X509_STORE_CTX_get_error(ctx.get());
        result.detail = X509_verify_cert_error_string(err);
        switch (err) {
        case X509_V_ERR_CERT_HAS_EXPIRED: result.problem = ChainProblem::Expired; break;
        case X509_V_ERR_CERT_NOT_YET_VALID: result.problem = ChainProblem::NotYetValid; break;
        case X509_V_ERR_INVALID_PURPOSE: result.problem = ChainProblem::WrongPurpose; break;
        default: result.problem = ChainProblem::Untrusted; break;
        }
    }
    clearOpenSslErrors();
    return result;
}

base::Result<std::vector<Certificate>> loadSystemTrustAnchors() {
    const std::filesystem::path file = X509_get_default_cert_file();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return std::vector<Certificate>{};
    }
    std::ifstream in(file, std::ios::binary);
    const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in && !in.eof()) {
        return base::makeError(base::ErrorCode::Io, "cannot read the system trust anchors " + file.string());
    }
    if (pem.empty()) {
        return std::vector<Certificate>{};
    }
    return Certificate::parseAll(base::asBytes(pem));
}

} // namespace sealpost::crypto
