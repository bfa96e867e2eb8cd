#include "crypto/AriCertId.h"

#include "crypto/Jose.h"
#include "crypto/OpenSslHandles.h"

#include <openssl/x509v3.h>

namespace sealpost::crypto {

base::Result<std::string> ariCertId(const Certificate& certificate) {
    const ASN1_OCTET_STRING* keyId = X509_get0_authority_key_id(certificate.native());
    if (keyId == nullptr || ASN1_STRING_length(keyId) <= 0) {
        return base::Error{base::ErrorCode::InvalidArgument,
                           "certificate has no authority key identifier (needed for ARI)"};
    }
    // The serial's DER content octets: the INTEGER's two's-complement bytes, with the leading
    // zero a positive serial with its top bit set needs.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate.native());
    unsigned char* der = nullptr;
    const int length = i2d_ASN1_INTEGER(serial, &der);
    if (length < 3) {
        OPENSSL_free(der);
        return base::Error{base::ErrorCode::MalformedInput, "certificate serial number cannot be encoded"};
    }
    // Skip the tag and the length octets (short or long form).
    std::size_t offset = 2;
    if ((der[1] & 0x80U) != 0) {
        offset += der[1] & 0x7FU;
    }
    const base::ByteView serialContent(der + offset, static_cast<std::size_t>(length) - offset);
    const base::ByteView keyIdBytes(ASN1_STRING_get0_data(keyId), static_cast<std::size_t>(ASN1_STRING_length(keyId)));
    std::string id = base64UrlEncode(keyIdBytes) + "." + base64UrlEncode(serialContent);
    OPENSSL_free(der);
    return id;
}

} // namespace sealpost::crypto
