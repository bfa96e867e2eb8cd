#pragma once

#include "base/Result.h"

#include <memory>
#include <string>
#include <string_view>

namespace sealpost::ca::mail {

struct DkimOptions {
    // Where public keys come from: "" for DNS (the system resolver), else a file whose lines are
    // "<selector>._domainkey.<domain> <TXT record data>" (for tests and resolver-less setups).
    std::string keyFile;
};

// The DKIM verdict on one message, as docs/acme.md needs it.
struct DkimCheck {
    bool verified = false; // a valid signature with d= equal to the From domain covers From and Subject
    std::string detail;    // why not (or the signing domain), for logs
};

// Verifies DKIM signatures (RFC 6376) with libopendkim. One library instance, usable from several
// threads (each verify() works on its own context).
class DkimVerifier {
public:
    // Errors: Unsupported when libopendkim cannot be initialised or refuses the options.
    [[nodiscard]] static base::Result<DkimVerifier> create(const DkimOptions& options);
    ~DkimVerifier();
    DkimVerifier(DkimVerifier&&) noexcept;
    DkimVerifier& operator=(DkimVerifier&&) noexcept;
    DkimVerifier(const DkimVerifier&) = delete;
    DkimVerifier& operator=(const DkimVerifier&) = delete;

    // A raw message (CRLF or LF line ends). A missing, broken or unrelated signature is a value
    // (verified == false); errors: MalformedInput when the message has no single From address,
    // CryptoFailure when libopendkim fails internally.
    [[nodiscard]] base::Result<DkimCheck> verify(std::string_view message) const;

private:
    struct Impl;
    explicit DkimVerifier(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::ca::mail
