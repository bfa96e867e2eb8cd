#include "crypto/Asn1Util.h"

namespace sealpost::crypto {

void appendDerHeader(base::Bytes& out, std::uint8_t tag, std::size_t length) {
    out.push_back(tag);
    if (length < 0x80) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    base::Bytes len;
    for (std::size_t l = length; l > 0; l >>= 8) {
        len.insert(len.begin(), static_cast<std::uint8_t>(l & 0xFF));
    }
    out.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    out.insert(out.end(), len.begin(), len.end());
}

base::Bytes encodeIssuerAndSerial(X509* cert, std::uint8_t tag) {
    unsigned char* name = nullptr;
    const int nameLen = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
    unsigned char* serial = nullptr;
    const int serialLen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
    base::Bytes out;
    if (nameLen > 0 && serialLen > 0) {
        appendDerHeader(out, tag, static_cast<std::size_t>(nameLen) + static_cast<std::size_t>(serialLen));
        out.insert(out.end(), name, name + nameLen);
        out.insert(out.end(), serial, serial + serialLen);
    }
    OPENSSL_free(name);
    OPENSSL_free(serial);
    return out;
}

X509* findByIssuerAndSerial(base::ByteView encoded, STACK_OF(X509) * certs) {
    const unsigned char* p = encoded.data();
    long length = 0;
    int tag = 0;
    int cls = 0;
    const int ret = ASN1_get_object(&p, &length, &tag, &cls, static_cast<long>(encoded.size()));
    if ((ret & 0x80) != 0 || (ret & V_ASN1_CONSTRUCTED) == 0) {
        return nullptr;
    }
    const unsigned char* end = p + length;
    X509_NAME* issuer = d2i_X509_NAME(nullptr, &p, end - p);
    ASN1_INTEGER* serial = issuer != nullptr ? d2i_ASN1_INTEGER(nullptr, &p, end - p) : nullptr;
    X509* found = nullptr;
    for (int i = 0; serial != nullptr && i < sk_X509_num(certs); ++i) {
        X509* c = sk_X509_value(certs, i);
        if (X509_NAME_cmp(X509_get_issuer_name(c), issuer) == 0 &&
            ASN1_INTEGER_cmp(X509_get0_serialNumber(c), serial) == 0) {
            found = c;
            break;
        }
    }
    X509_NAME_free(issuer);
    ASN1_INTEGER_free(serial);
    return found;
}

} // namespace sealpost::crypto
