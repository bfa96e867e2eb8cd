#pragma once

#include "base/Bytes.h"
#include "base/Result.h"
#include "crypto/PrivateKey.h"
#include "crypto/PublicKey.h"

#include <string>
#include <vector>

namespace sealpost::crypto {

// PKCS#10 certification requests, as ACME's finalize carries them (DER).

struct CsrContent {
    std::vector<std::string> emails;   // rfc822Name subjectAltNames
    std::vector<std::string> dnsNames; // dNSName subjectAltNames (Pebble and other web CAs)
};

// A CSR signed by `key` (SHA-256), with the names as a subjectAltName extension request and the
// first name (email, else DNS name) as the subject's CN. InvalidArgument without any name.
[[nodiscard]] base::Result<base::Bytes> makeCsr(const PrivateKey& key, const CsrContent& content);

struct ParsedCsr {
    PublicKey key;
    CsrContent names;                       // from the subjectAltName extension request, as written
    std::vector<std::string> subjectEmails; // emailAddress attributes of the subject, if any
    std::string subjectCommonName;          // empty when absent
};

// Parses a DER CSR and verifies its self-signature. MalformedInput for anything that is not one
// DER CertificationRequest (trailing bytes included), AuthFailed when the signature does not
// verify, Unsupported for a SAN of another kind than rfc822Name or dNSName.
[[nodiscard]] base::Result<ParsedCsr> parseCsr(base::ByteView der);

} // namespace sealpost::crypto
