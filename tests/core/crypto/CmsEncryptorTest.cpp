#include "crypto/CmsEncryptor.h"

#include "CryptoTestSupport.h"
#include "crypto/CmsOutline.h"
#include "crypto/OpenSslHandles.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <vector>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::encryptToString;
using test::loadCert;
using test::OnePiece;

const std::string kContent = "Content-Type: text/plain\r\n\r\nThe secret is 42.\r\n";
constexpr std::array kCiphers = {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc,
                                 ContentCipher::Aes128Cbc};

OsslPtr<CMS_ContentInfo> parseCms(const std::string& der) {
    auto bio = memoryBio(der.data(), der.size());
    return OsslPtr<CMS_ContentInfo>(d2i_CMS_bio(bio.get(), nullptr));
}

// A self-signed Ed25519 certificate: a key type that CMS key transport/agreement cannot use.
Certificate makeEd25519Certificate() {
    OsslPtr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    OsslPtr<X509> cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Ed"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    EXPECT_GT(X509_sign(cert.get(), key.get(), nullptr), 0);
    return Certificate::adopt(cert.release());
}

TEST(CmsEncryptorTest, GcmMakesAuthEnvelopedDataAndCbcEnvelopedData) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem")};
    for (ContentCipher c : kCiphers) {
        const std::string der = encryptToString(kContent, to, {c, RsaPadding::Pkcs1v15});
        auto outline = inspectCms(bytes(der));
        ASSERT_TRUE(outline) << cipherName(c) << ": " << outline.error().detail;
        EXPECT_EQ(outline->type, isAuthenticated(c) ? CmsContentType::AuthEnvelopedData : CmsContentType::EnvelopedData)
            << cipherName(c);
        EXPECT_EQ(outline->cipher, c) << cipherName(c);
        OsslPtr<CMS_ContentInfo> cms = parseCms(der);
        ASSERT_NE(cms, nullptr) << cipherName(c);
        EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())),
                  isAuthenticated(c) ? NID_id_smime_ct_authEnvelopedData : NID_pkcs7_enveloped);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CmsEncryptorTest, CiphertextDoesNotContainPlaintextAndIsRandomised) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem")};
    const std::string a = encryptToString(kContent, to);
    const std::string b = encryptToString(kContent, to);
    EXPECT_EQ(a.find("secret"), std::string::npos);
    EXPECT_NE(a, b);
}

TEST(CmsEncryptorTest, OutputIsStreamedBerWithIndefiniteLengths) {
    const std::string der = encryptToString(kContent, {loadCert("alice.cert.pem")});
    ASSERT_GE(der.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(der[0]), 0x30);
    EXPECT_EQ(static_cast<unsigned char>(der[1]), 0x80);
    EXPECT_EQ(der.substr(der.size() - 2), std::string(2, '\0'));
}

TEST(CmsEncryptorTest, RsaPaddingSelectsKeyTransportAlgorithm) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem")};
    for (RsaPadding padding : {RsaPadding::Pkcs1v15, RsaPadding::Oaep}) {
        OsslPtr<CMS_ContentInfo> cms = parseCms(encryptToString(kContent, to, {ContentCipher::Aes256Cbc, padding}));
        ASSERT_NE(cms, nullptr);
        STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
        ASSERT_EQ(sk_CMS_RecipientInfo_num(ris), 1);
        CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, 0);
        ASSERT_EQ(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_TRANS);
        X509_ALGOR* alg = nullptr;
        ASSERT_EQ(CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &alg), 1);
        const ASN1_OBJECT* oid = nullptr;
        X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
        EXPECT_EQ(OBJ_obj2nid(oid), padding == RsaPadding::Oaep ? NID_rsaesOaep : NID_rsaEncryption);
    }
}

TEST(CmsEncryptorTest, EcRecipientUsesKeyAgreement) {
    OsslPtr<CMS_ContentInfo> cms = parseCms(encryptToString(kContent, {loadCert("bob.cert.pem")}));
    ASSERT_NE(cms, nullptr);
    STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
    ASSERT_EQ(sk_CMS_RecipientInfo_num(ris), 1);
    EXPECT_EQ(CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(ris, 0)), CMS_RECIPINFO_AGREE);
}

int countRecipientInfos(CMS_ContentInfo* cms, int type) {
    STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
    int n = 0;
    for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
        n += CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(ris, i)) == type ? 1 : 0;
    }
    return n;
}

TEST(CmsEncryptorTest, OaepPaddingDoesNotAffectEcRecipients) {
    const std::vector<Certificate> to = {loadCert("bob.cert.pem"), loadCert("carol.cert.pem")};
    OsslPtr<CMS_ContentInfo> cms =
        parseCms(encryptToString(kContent, to, {ContentCipher::Aes128Gcm, RsaPadding::Oaep}));
    ASSERT_NE(cms, nullptr);
    EXPECT_EQ(sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms.get())), 2);
    EXPECT_EQ(countRecipientInfos(cms.get(), CMS_RECIPINFO_AGREE), 1);
    EXPECT_EQ(countRecipientInfos(cms.get(), CMS_RECIPINFO_TRANS), 1);
}

// recipientInfos is a SET OF, so DER encoding may reorder it; every recipient must be there once.
TEST(CmsEncryptorTest, OneRecipientInfoPerRecipient) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem"), loadCert("bob.cert.pem"),
                                         loadCert("carol.cert.pem")};
    OsslPtr<CMS_ContentInfo> cms = parseCms(encryptToString(kContent, to));
    ASSERT_NE(cms, nullptr);
    STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
    ASSERT_EQ(sk_CMS_RecipientInfo_num(ris), 3);
    EXPECT_EQ(countRecipientInfos(cms.get(), CMS_RECIPINFO_TRANS), 2);
    EXPECT_EQ(countRecipientInfos(cms.get(), CMS_RECIPINFO_AGREE), 1);
    for (const Certificate* rsa : {&to[0], &to[2]}) {
        int matches = 0;
        for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
            CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
            matches += CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS &&
                               CMS_RecipientInfo_ktri_cert_cmp(ri, rsa->native()) == 0
                           ? 1
                           : 0;
        }
        EXPECT_EQ(matches, 1) << rsa->subject();
    }
}

TEST(CmsEncryptorTest, CipherOidsMatch) {
    const std::vector<Certificate> to = {loadCert("carol.cert.pem")};
    const std::array<std::pair<ContentCipher, const char*>, 4> expected = {{
        {ContentCipher::Aes256Gcm, "2.16.840.1.101.3.4.1.46"},
        {ContentCipher::Aes128Gcm, "2.16.840.1.101.3.4.1.6"},
        {ContentCipher::Aes256Cbc, "2.16.840.1.101.3.4.1.42"},
        {ContentCipher::Aes128Cbc, "2.16.840.1.101.3.4.1.2"},
    }};
    for (const auto& [cipher, oid] : expected) {
        auto outline = inspectCms(bytes(encryptToString(kContent, to, {cipher, RsaPadding::Pkcs1v15})));
        ASSERT_TRUE(outline);
        EXPECT_EQ(outline->contentEncryptionOid, oid);
    }
}

TEST(CmsEncryptorTest, NoRecipientsIsInvalidArgument) {
    std::string out;
    base::StringSink sink(out);
    auto r = encryptCms(OnePiece(kContent), {}, {}, sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(out.empty());
}

TEST(CmsEncryptorTest, UnsupportedRecipientKeyIsRejectedBeforeOutput) {
    const std::vector<Certificate> to = {loadCert("alice.cert.pem"), makeEd25519Certificate()};
    std::string out;
    base::StringSink sink(out);
    auto r = encryptCms(OnePiece(kContent), to, {}, sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CmsEncryptorTest, FailingSinkIsAnError) {
    test::FailingSink sink;
    const std::vector<Certificate> to = {loadCert("alice.cert.pem")};
    auto r = encryptCms(OnePiece(kContent), to, {}, sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

} // namespace
} // namespace sealpost::crypto
