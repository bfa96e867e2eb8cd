#include "ca/issue/Authority.h"

#include "IssueTestSupport.h"
#include "crypto/Csr.h"
#include "crypto/KeyGen.h"
#include "crypto/OpenSslHandles.h"
#include "smime/MessageProtector.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

namespace sealpost::ca {
namespace {

using namespace std::chrono_literals;
using base::ErrorCode;
using crypto::KeySpec;

const base::TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 6 / 1} + 10h;
constexpr std::string_view kPassphrase = "correct horse battery staple";

const std::vector<std::string_view> kKeyFiles{Authority::rootKeyFile, Authority::intermediateKeyFile,
                                              Authority::mailKeyFile};
const std::vector<std::string_view> kAllFiles{Authority::rootCertificateFile,         Authority::rootKeyFile,
                                              Authority::intermediateCertificateFile, Authority::intermediateKeyFile,
                                              Authority::mailCertificateFile,         Authority::mailKeyFile};

AuthorityInitOptions options(KeySpec caKey = KeySpec::P384) {
    AuthorityInitOptions o;
    o.mailFrom = "acme@ca.example";
    o.name = "Example Mail CA";
    o.caKey = caKey;
    o.now = kNow;
    return o;
}

unsigned fileMode(const test::fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777U;
}

// The root, the intermediate and the mail-signing certificate as docs/acme.md describes them.
void expectHierarchy(const Authority& ca, int caKeyBits) {
    const crypto::Certificate& root = ca.root();
    const crypto::Certificate& intermediate = ca.intermediate();
    const crypto::Certificate& mail = ca.mailSigner().certificate;

    EXPECT_TRUE(root.isSelfIssued());
    EXPECT_TRUE(test::signedBy(root, root));
    EXPECT_EQ(root.subject(), "CN=Example Mail CA Root,O=Example Mail CA");
    EXPECT_TRUE(test::extension(root, NID_basic_constraints).critical);
    EXPECT_TRUE(test::basicConstraints(root).ca);
    EXPECT_EQ(test::basicConstraints(root).pathLength, -1);
    EXPECT_TRUE(test::extension(root, NID_key_usage).critical);
    EXPECT_EQ(X509_get_key_usage(root.native()), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    EXPECT_EQ(test::octets(X509_get0_subject_key_id(root.native())).size(), 20U);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(root.native())), caKeyBits);

    EXPECT_EQ(intermediate.subject(), "CN=Example Mail CA Intermediate,O=Example Mail CA");
    EXPECT_EQ(intermediate.issuer(), root.subject());
    EXPECT_TRUE(test::signedBy(intermediate, root));
    EXPECT_TRUE(test::extension(intermediate, NID_basic_constraints).critical);
    EXPECT_TRUE(test::basicConstraints(intermediate).ca);
    EXPECT_EQ(test::basicConstraints(intermediate).pathLength, 0);
    EXPECT_EQ(X509_get_key_usage(intermediate.native()), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    EXPECT_EQ(test::octets(X509_get0_authority_key_id(intermediate.native())),
              test::octets(X509_get0_subject_key_id(root.native())));
    EXPECT_EQ(test::octets(X509_get0_subject_key_id(intermediate.native())).size(), 20U);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(intermediate.native())), caKeyBits);

    EXPECT_EQ(mail.issuer(), intermediate.subject());
    EXPECT_TRUE(test::signedBy(mail, intermediate));
    EXPECT_EQ(test::sanEmails(mail), std::vector<std::string>{"acme@ca.example"});
    EXPECT_EQ(test::extendedKeyUsages(mail), std::vector<int>{NID_email_protect});
    EXPECT_EQ(X509_get_key_usage(mail.native()), KU_DIGITAL_SIGNATURE);
    EXPECT_TRUE(test::extension(mail, NID_key_usage).critical);
    EXPECT_FALSE(test::basicConstraints(mail).ca);
    EXPECT_EQ(test::octets(X509_get0_authority_key_id(mail.native())),
              test::octets(X509_get0_subject_key_id(intermediate.native())));
    EXPECT_EQ(ca.mailSigner().key.type(), crypto::KeyType::Rsa);
    EXPECT_EQ(ca.mailSigner().key.bits(), 3072);
    EXPECT_TRUE(crypto::checkKeyMatchesCertificate(ca.mailSigner().key, mail));
    ASSERT_EQ(ca.mailSigner().chain.size(), 1U);
    EXPECT_EQ(ca.mailSigner().chain.front(), intermediate);

    for (const crypto::Certificate* cert : {&root, &intermediate, &mail}) {
        EXPECT_EQ(cert->notBefore(), kNow - 1h);
    }
    EXPECT_EQ(root.notAfter(), kNow + std::chrono::hours(24 * 365 * 20));
    EXPECT_EQ(intermediate.notAfter(), kNow + std::chrono::hours(24 * 365 * 10));
    EXPECT_EQ(mail.notAfter(), kNow + std::chrono::hours(24 * 365 * 3));
}

class AuthorityTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_FALSE(m_tmp.path().empty()); }
    [[nodiscard]] test::fs::path dir() const { return m_tmp.path() / "ca"; }
    test::TempDir m_tmp;
};

TEST_F(AuthorityTest, InitThenLoad) {
    auto made = Authority::init(dir(), options(), kPassphrase);
    ASSERT_TRUE(made) << made.error().detail;
    expectHierarchy(*made, 384);

    auto loaded = Authority::load(dir(), kPassphrase);
    ASSERT_TRUE(loaded) << loaded.error().detail;
    EXPECT_EQ(loaded->root(), made->root());
    EXPECT_EQ(loaded->intermediate(), made->intermediate());
    EXPECT_EQ(loaded->mailSigner().certificate, made->mailSigner().certificate);
    EXPECT_EQ(EVP_PKEY_eq(loaded->mailSigner().key.native(), made->mailSigner().key.native()), 1);
    EXPECT_EQ(loaded->issuer()->root(), made->root());
    expectHierarchy(*loaded, 384);
    // The certificate files are plain PEM others can read.
    EXPECT_EQ(test::readFile(dir() / Authority::rootCertificateFile), made->root().pem());
}

TEST_F(AuthorityTest, Rsa4096CaSignsWithSha256) {
    auto made = Authority::init(dir(), options(KeySpec::Rsa4096), kPassphrase);
    ASSERT_TRUE(made) << made.error().detail;
    expectHierarchy(*made, 4096);
    EXPECT_EQ(X509_get_signature_nid(made->intermediate().native()), NID_sha256WithRSAEncryption);

    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto csr = crypto::makeCsr(*key, {{"alice@example.org"}, {}});
    ASSERT_TRUE(csr);
    auto outcome = made->issuer()->issue({*csr, {"alice@example.org"}, {}, kNow});
    ASSERT_TRUE(outcome && outcome->issued);
    EXPECT_EQ(X509_get_signature_nid(outcome->issued->leaf.native()), NID_sha256WithRSAEncryption);
    EXPECT_TRUE(test::signedBy(outcome->issued->leaf, made->intermediate()));
}

TEST_F(AuthorityTest, P384CaSignsWithSha384) {
    auto made = Authority::init(dir(), options(), kPassphrase);
    ASSERT_TRUE(made) << made.error().detail;
    EXPECT_EQ(X509_get_signature_nid(made->root().native()), NID_ecdsa_with_SHA384);
    EXPECT_EQ(X509_get_signature_nid(made->intermediate().native()), NID_ecdsa_with_SHA384);
    EXPECT_EQ(X509_get_signature_nid(made->mailSigner().certificate.native()), NID_ecdsa_with_SHA384);
}

TEST_F(AuthorityTest, WrongPassphrase) {
    ASSERT_TRUE(Authority::init(dir(), options(), kPassphrase));
    auto loaded = Authority::load(dir(), "correct horse battery stapler");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::WrongPassword);
    auto empty = Authority::load(dir(), "");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, ErrorCode::WrongPassword);
}

TEST_F(AuthorityTest, RefusesToOverwrite) {
    ASSERT_TRUE(Authority::init(dir(), options(), kPassphrase));
    std::vector<std::string> before;
    before.reserve(kAllFiles.size());
    for (const std::string_view name : kAllFiles) {
        before.push_back(test::readFile(dir() / name));
    }
    auto again = Authority::init(dir(), options(), "another passphrase");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(again.error().detail.find("already holds a CA"), std::string::npos) << again.error().detail;
    for (std::size_t i = 0; i < kAllFiles.size(); ++i) {
        EXPECT_EQ(test::readFile(dir() / kAllFiles[i]), before[i]) << kAllFiles[i];
    }
    EXPECT_TRUE(Authority::load(dir(), kPassphrase));

    // A single leftover file is enough to refuse, and it stays as it was.
    const test::fs::path other = m_tmp.path() / "other";
    test::fs::create_directories(other);
    test::writeFile(other / Authority::mailKeyFile, "keep me");
    auto partial = Authority::init(other, options(), kPassphrase);
    ASSERT_FALSE(partial);
    EXPECT_EQ(partial.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(test::readFile(other / Authority::mailKeyFile), "keep me");
    EXPECT_FALSE(test::fs::exists(other / Authority::rootKeyFile));
}

TEST_F(AuthorityTest, KeysOnDiskAreEncryptedAndPrivate) {
    ASSERT_TRUE(Authority::init(dir(), options(), kPassphrase));
    EXPECT_EQ(fileMode(dir()), 0700U);
    for (const std::string_view name : kKeyFiles) {
        const std::string text = test::readFile(dir() / name);
        EXPECT_NE(text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos) << name;
        EXPECT_EQ(text.find("BEGIN PRIVATE KEY"), std::string::npos) << name;
        EXPECT_EQ(text.find("BEGIN RSA PRIVATE KEY"), std::string::npos) << name;
        EXPECT_EQ(text.find("BEGIN EC PRIVATE KEY"), std::string::npos) << name;
        EXPECT_EQ(fileMode(dir() / name), 0600U) << name;
        // Without the passphrase the key does not open.
        auto bare = crypto::PrivateKey::parse(base::asBytes(text));
        ASSERT_FALSE(bare);
        EXPECT_EQ(bare.error().code, ErrorCode::WrongPassword);
    }
    if (test::haveOpenssl()) {
        // Standard PBES2 (scrypt, AES-256-CBC): the openssl command line opens it with the passphrase.
        test::writeFile(m_tmp.path() / "pass.txt", std::string(kPassphrase));
        EXPECT_TRUE(test::runOpenssl(dir(), "pkey -in " + std::string(Authority::intermediateKeyFile) +
                                                " -passin file:../pass.txt -noout"));
        ASSERT_TRUE(test::runOpenssl(m_tmp.path(), "asn1parse -in ca/" + std::string(Authority::rootKeyFile)));
        const std::string structure = test::readFile(m_tmp.path() / "openssl.log");
        EXPECT_NE(structure.find(":PBES2"), std::string::npos) << structure;
        EXPECT_NE(structure.find(":scrypt"), std::string::npos) << structure;
        EXPECT_NE(structure.find(":aes-256-cbc"), std::string::npos) << structure;
    }
}

TEST_F(AuthorityTest, LoadRefusesAnUnencryptedKey) {
    auto made = Authority::init(dir(), options(), kPassphrase);
    ASSERT_TRUE(made);
    // Replace the mail key by the same key in the clear.
    crypto::OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(
        PEM_write_bio_PrivateKey(bio.get(), made->mailSigner().key.native(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    test::fs::remove(dir() / Authority::mailKeyFile);
    test::writeFile(dir() / Authority::mailKeyFile, std::string(data, static_cast<std::size_t>(length)));
    auto loaded = Authority::load(dir(), kPassphrase);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::InvalidArgument);
}

TEST_F(AuthorityTest, LoadChecksKeysAndChain) {
    ASSERT_TRUE(Authority::init(dir(), options(), kPassphrase));
    const test::fs::path other = m_tmp.path() / "other";
    ASSERT_TRUE(Authority::init(other, options(), kPassphrase));
    // A key from another CA.
    test::fs::copy_file(other / Authority::intermediateKeyFile, dir() / Authority::intermediateKeyFile,
                        test::fs::copy_options::overwrite_existing);
    auto mixedKey = Authority::load(dir(), kPassphrase);
    ASSERT_FALSE(mixedKey);
    EXPECT_EQ(mixedKey.error().code, ErrorCode::InvalidArgument);
    // A certificate from another CA.
    test::fs::copy_file(other / Authority::intermediateCertificateFile, dir() / Authority::intermediateCertificateFile,
                        test::fs::copy_options::overwrite_existing);
    auto mixedChain = Authority::load(dir(), kPassphrase);
    ASSERT_FALSE(mixedChain);
    EXPECT_EQ(mixedChain.error().code, ErrorCode::InvalidArgument);
    // A missing file.
    test::fs::remove(dir() / Authority::rootCertificateFile);
    auto missing = Authority::load(dir(), kPassphrase);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::Io);
}

TEST_F(AuthorityTest, RefusesUnusableOptions) {
    auto noPassphrase = Authority::init(dir(), options(), "");
    ASSERT_FALSE(noPassphrase);
    EXPECT_EQ(noPassphrase.error().code, ErrorCode::InvalidArgument);

    for (const std::string from : {"", "acme", "@ca.example", "acme@", "a b@ca.example", "a@b@ca.example"}) {
        AuthorityInitOptions o = options();
        o.mailFrom = from;
        auto made = Authority::init(dir(), o, kPassphrase);
        ASSERT_FALSE(made) << from;
        EXPECT_EQ(made.error().code, ErrorCode::InvalidArgument);
    }
    AuthorityInitOptions weak = options(KeySpec::P256);
    auto weakMade = Authority::init(dir(), weak, kPassphrase);
    ASSERT_FALSE(weakMade);
    EXPECT_EQ(weakMade.error().code, ErrorCode::InvalidArgument);

    AuthorityInitOptions noTime = options();
    noTime.now = {};
    auto noTimeMade = Authority::init(dir(), noTime, kPassphrase);
    ASSERT_FALSE(noTimeMade);
    EXPECT_EQ(noTimeMade.error().code, ErrorCode::InvalidArgument);

    AuthorityInitOptions unnested = options();
    unnested.mailSignerLifetime = unnested.intermediateLifetime + 1s;
    auto unnestedMade = Authority::init(dir(), unnested, kPassphrase);
    ASSERT_FALSE(unnestedMade);
    EXPECT_EQ(unnestedMade.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(test::fs::exists(dir()));
}

TEST_F(AuthorityTest, MailSignerSignsAChallengeMailOpensslAccepts) {
    if (!test::haveOpenssl()) {
        GTEST_SKIP() << "openssl command line not available";
    }
    auto made = Authority::init(dir(), options(), kPassphrase);
    ASSERT_TRUE(made);
    const std::string message = "From: acme@ca.example\r\nTo: alice@example.org\r\n"
                                "Subject: ACME: abcdefghijklmnopqrstuvwx\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                                "This is an ACME challenge; your mail program answers it.\r\n";
    smime::ProtectRequest request;
    request.sign = smime::SignStep{made->mailSigner(), smime::SignatureForm::Detached, crypto::DigestAlgorithm::Sha256,
                                   std::nullopt};
    request.now = kNow;
    std::string signedMessage;
    base::StringSink sink(signedMessage);
    auto protectedOk = smime::protectMessage(message, request, sink);
    ASSERT_TRUE(protectedOk) << protectedOk.error().detail;
    ASSERT_NE(signedMessage.find("multipart/signed"), std::string::npos);

    test::writeFile(m_tmp.path() / "signed.eml", signedMessage);
    test::writeFile(m_tmp.path() / "root.pem", made->root().pem());
    const std::string atTime = " -attime " + std::to_string(std::chrono::system_clock::to_time_t(kNow));
    EXPECT_TRUE(test::runOpenssl(m_tmp.path(), "cms -verify -purpose smimesign -in signed.eml -CAfile root.pem"
                                               " -out content.txt" +
                                                   atTime));
    EXPECT_NE(test::readFile(m_tmp.path() / "content.txt").find("ACME challenge"), std::string::npos);
    // And not against another root.
    const test::fs::path other = m_tmp.path() / "other";
    auto otherCa = Authority::init(other, options(), kPassphrase);
    ASSERT_TRUE(otherCa);
    test::writeFile(m_tmp.path() / "other-root.pem", otherCa->root().pem());
    EXPECT_FALSE(test::opensslSucceeds(m_tmp.path(),
                                       "cms -verify -in signed.eml -CAfile other-root.pem -out /dev/null" + atTime));
}

} // namespace
} // namespace sealpost::ca
