#pragma once

#include "base/Bytes.h"
#include "base/Result.h"
#include "crypto/CmsTypes.h"

#include <optional>
#include <string>

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

} // namespace sealpost::crypto
