#include "crypto/Asn1Util.h"

#include "CryptoTestSupport.h"

#include <gtest/gtest.h>

namespace sealpost::crypto {
namespace {

using test::loadCert;

base::Bytes header(std::uint8_t tag, std::size_t length) {
    base::Bytes out;
    appendDerHeader(out, tag, length);
    return out;
}

TEST(Asn1UtilTest, DerHeaderLengthForms) {
    EXPECT_EQ(header(0x30, 0), (base::Bytes{0x30, 0x00}));
    EXPECT_EQ(header(0x04, 0x7F), (base::Bytes{0x04, 0x7F}));
    EXPECT_EQ(header(0x04, 0x80), (base::Bytes{0x04, 0x81, 0x80}));
    EXPECT_EQ(header(0x04, 0xFF), (base::Bytes{0x04, 0x81, 0xFF}));
    EXPECT_EQ(header(0x04, 0x100), (base::Bytes{0x04, 0x82, 0x01, 0x00}));
    EXPECT_EQ(header(0xA0, 0x10000), (base::Bytes{0xA0, 0x83, 0x01, 0x00, 0x00}));
    base::Bytes appended = {0x01};
    appendDerHeader(appended, 0x31, 2);
    EXPECT_EQ(appended, (base::Bytes{0x01, 0x31, 0x02}));
}

TEST(Asn1UtilTest, IssuerAndSerialIsDerOfIssuerAndSerialNumber) {
    const Certificate alice = loadCert("alice.cert.pem");
    const base::Bytes seq = encodeIssuerAndSerial(alice.native(), 0x30);
    ASSERT_FALSE(seq.empty());
    EXPECT_EQ(seq[0], 0x30);
    // Parse it back: SEQUENCE { Name, INTEGER } with nothing left over.
    const unsigned char* p = seq.data();
    long len = 0;
    int tag = 0;
    int cls = 0;
    ASSERT_EQ(ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(seq.size())), V_ASN1_CONSTRUCTED);
    EXPECT_EQ(tag, V_ASN1_SEQUENCE);
    EXPECT_EQ(p + len, seq.data() + seq.size());
    const unsigned char* end = p + len;
    X509_NAME* name = d2i_X509_NAME(nullptr, &p, end - p);
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(X509_NAME_cmp(name, X509_get_issuer_name(alice.native())), 0);
    X509_NAME_free(name);
    ASN1_INTEGER* serial = d2i_ASN1_INTEGER(nullptr, &p, end - p);
    ASSERT_NE(serial, nullptr);
    EXPECT_EQ(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(alice.native())), 0);
    ASN1_INTEGER_free(serial);
    EXPECT_EQ(p, end);

    const base::Bytes tagged = encodeIssuerAndSerial(alice.native(), 0xA0);
    ASSERT_EQ(tagged.size(), seq.size());
    EXPECT_EQ(tagged[0], 0xA0);
    EXPECT_TRUE(std::equal(tagged.begin() + 1, tagged.end(), seq.begin() + 1));
}

TEST(Asn1UtilTest, FindByIssuerAndSerial) {
    const Certificate alice = loadCert("alice.cert.pem");
    const Certificate carol = loadCert("carol.cert.pem");
    X509RefStackPtr certs(sk_X509_new_null());
    sk_X509_push(certs.get(), carol.native());
    sk_X509_push(certs.get(), alice.native());
    for (std::uint8_t tag : {std::uint8_t{0x30}, std::uint8_t{0xA0}}) {
        EXPECT_EQ(findByIssuerAndSerial(encodeIssuerAndSerial(alice.native(), tag), certs.get()), alice.native());
        EXPECT_EQ(findByIssuerAndSerial(encodeIssuerAndSerial(carol.native(), tag), certs.get()), carol.native());
    }
    const Certificate bob = loadCert("bob.cert.pem");
    EXPECT_EQ(findByIssuerAndSerial(encodeIssuerAndSerial(bob.native(), 0x30), certs.get()), nullptr);
    X509RefStackPtr empty(sk_X509_new_null());
    EXPECT_EQ(findByIssuerAndSerial(encodeIssuerAndSerial(alice.native(), 0x30), empty.get()), nullptr);
    EXPECT_EQ(findByIssuerAndSerial(encodeIssuerAndSerial(alice.native(), 0x30), nullptr), nullptr);
}

TEST(Asn1UtilTest, FindRejectsMalformedEncodings) {
    const Certificate alice = loadCert("alice.cert.pem");
    X509RefStackPtr certs(sk_X509_new_null());
    sk_X509_push(certs.get(), alice.native());
    const base::Bytes good = encodeIssuerAndSerial(alice.native(), 0x30);
    EXPECT_EQ(findByIssuerAndSerial({}, certs.get()), nullptr);
    EXPECT_EQ(findByIssuerAndSerial(base::Bytes{0x02, 0x01, 0x00}, certs.get()), nullptr); // primitive
    EXPECT_EQ(findByIssuerAndSerial(base::Bytes{0x30, 0x80, 0x00, 0x00}, certs.get()), nullptr);
    for (std::size_t len = 0; len < good.size(); ++len) {
        EXPECT_EQ(findByIssuerAndSerial(base::ByteView(good.data(), len), certs.get()), nullptr) << len;
    }
    base::Bytes noSerial;
    unsigned char* name = nullptr;
    const int nameLen = i2d_X509_NAME(X509_get_issuer_name(alice.native()), &name);
    appendDerHeader(noSerial, 0x30, static_cast<std::size_t>(nameLen));
    noSerial.insert(noSerial.end(), name, name + nameLen);
    OPENSSL_free(name);
    EXPECT_EQ(findByIssuerAndSerial(noSerial, certs.get()), nullptr);
    ERR_clear_error();
}

} // namespace
} // namespace sealpost::crypto
