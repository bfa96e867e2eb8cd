#pragma once

#include "base/Bytes.h"
#include "base/Result.h"
#include "crypto/CmsTypes.h"

#include <optional>
#include <string>
#include <vector>

namespace sealpost::crypto {

// What a CMS blob is, read from its outer layers without decoding (or copying) the content.
struct CmsOutline {
    CmsContentType type = CmsContentType::Other;
    std::string contentTypeOid;          // ContentInfo.contentType, dotted
    std::string contentEncryptionOid;    // (Auth)EnvelopedData only, dotted
    std::optional<ContentCipher> cipher; // when contentEncryptionOid is one we know
};

// MalformedInput when the bytes are not a BER/DER ContentInfo.
[[nodiscard]] base::Result<CmsOutline> inspectCms(base::ByteView der);

// A SignedData ContentInfo with its `certificates [0] IMPLICIT` field cut out.
struct SignedDataWithoutCertificates {
    base::Bytes der;                          // the ContentInfo re-encoded without the field
    std::vector<base::ByteView> certificates; // each certificate's encoding, in order (views into the input)
};

// Cuts the certificates out of a SignedData, so that they can be parsed (or looked up) on their
// own. Only for the plain case: ContentInfo, its [0] EXPLICIT and the SignedData SEQUENCE in
// definite lengths, and a certificates field holding one or more X.509 certificates and nothing
// else (no attribute or other certificate choices). nullopt for anything else.
[[nodiscard]] std::optional<SignedDataWithoutCertificates> cutSignedDataCertificates(base::ByteView der);

} // namespace sealpost::crypto
