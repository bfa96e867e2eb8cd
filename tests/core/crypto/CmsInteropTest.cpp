// Cross-checks core/crypto against the `openssl cms` command line, in both directions. Not a
// pure unit test: it runs child processes and writes temporary files, hence its own executable.

#include "CryptoTestSupport.h"
#include "crypto/CmsDecryptor.h"
#include "crypto/CmsVerifier.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace sealpost::crypto {
namespace {

namespace fs = std::filesystem;
using test::bytes;
using test::dataPath;
using test::loadIdentity;

const std::string kContent = "Content-Type: text/plain; charset=utf-8\r\n\r\nInterop \xe2\x9c\x93 with the CLI.\r\n";

class CmsInteropTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("openssl version >/dev/null 2>&1") != 0) {
            GTEST_SKIP() << "openssl command line not available";
        }
        std::string tmpl = (fs::temp_directory_path() / "sealpost-interop-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        m_dir = tmpl;
    }
    void TearDown() override {
        if (!m_dir.empty()) {
            std::error_code ec;
            fs::remove_all(m_dir, ec);
        }
    }

    std::string path(const std::string& name) const { return (m_dir / name).string(); }

    void write(const std::string& name, const std::string& content) const {
        std::ofstream(path(name), std::ios::binary) << content;
    }

    std::string read(const std::string& name) const {
        std::ifstream in(path(name), std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    // Runs `openssl <args>` in the temporary directory; returns its exit status.
    int openssl(const std::string& args) const {
        const std::string cmd = "cd '" + m_dir.string() + "' && openssl " + args + " >log.txt 2>&1";
        const int status = std::system(cmd.c_str());
        if (status != 0) {
            ADD_FAILURE() << "openssl " << args << "\n" << read("log.txt");
        }
        return status;
    }

    static std::string data(const char* name) { return "'" + dataPath(name) + "'"; }

    fs::path m_dir;
};

constexpr const char* kAtTime = " -attime 1780272000";

TEST_F(CmsInteropTest, CliVerifiesOurDetachedSignature) {
    for (DigestAlgorithm d : {DigestAlgorithm::Sha256, DigestAlgorithm::Sha512}) {
        SignOptions o = test::defaultSignOptions(true);
        o.digest = d;
        write("content.bin", kContent);
        write("sig.der", test::signToString(kContent, loadIdentity("alice"), o));
        ASSERT_EQ(openssl("cms -verify -binary -inform DER -in sig.der -content content.bin -CAfile " +
                          data("root-ca.cert.pem") + kAtTime + " -out /dev/null"),
                  0);
        ASSERT_EQ(openssl("cms -cmsout -print -inform DER -in sig.der -out print.txt"), 0);
        const std::string printed = read("print.txt");
        EXPECT_NE(printed.find("id-smime-aa-encrypKeyPref"), std::string::npos);
        EXPECT_NE(printed.find("1.3.6.1.4.1.311.16.4"), std::string::npos);
        EXPECT_NE(printed.find("S/MIME Capabilities"), std::string::npos);
    }
}

TEST_F(CmsInteropTest, CliVerifiesOurOpaqueSignatureAndEcSigner) {
    for (const char* who : {"alice", "bob"}) {
        write("sig.der", test::signToString(kContent, loadIdentity(who), test::defaultSignOptions(false)));
        ASSERT_EQ(openssl("cms -verify -binary -inform DER -in sig.der -CAfile " + data("root-ca.cert.pem") + kAtTime +
                          " -out out.bin"),
                  0)
            << who;
        EXPECT_EQ(read("out.bin"), kContent) << who;
    }
}

TEST_F(CmsInteropTest, CliDecryptsWhatWeEncrypt) {
    struct Recipient {
        const char* who;
        RsaPadding padding;
    };
    for (const Recipient& r : {Recipient{"alice", RsaPadding::Pkcs1v15}, Recipient{"alice", RsaPadding::Oaep},
                               Recipient{"bob", RsaPadding::Pkcs1v15}}) {
        for (ContentCipher c :
             {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm, ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
            const Identity id = loadIdentity(r.who);
            write("enc.der",
                  test::encryptToString(kContent, {id.certificate, loadIdentity("carol").certificate}, {c, r.padding}));
            const std::string who(r.who);
            ASSERT_EQ(openssl("cms -decrypt -binary -inform DER -in enc.der -recip " +
                              data((who + ".cert.pem").c_str()) + " -inkey " + data((who + ".key.pem").c_str()) +
                              " -out out.bin"),
                      0)
                << r.who << " " << cipherName(c);
            EXPECT_EQ(read("out.bin"), kContent) << r.who << " " << cipherName(c);
        }
    }
}

TEST_F(CmsInteropTest, WeDecryptWhatTheCliEncrypts) {
    write("content.bin", kContent);
    struct Case {
        const char* who;
        const char* options;
        ContentCipher cipher;
    };
    for (const Case& k : {Case{"alice", "-aes-128-gcm", ContentCipher::Aes128Gcm},
                          Case{"alice", "-aes-256-cbc -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256",
                               ContentCipher::Aes256Cbc},
                          Case{"bob", "-aes-256-gcm", ContentCipher::Aes256Gcm},
                          Case{"bob", "-aes-128-cbc", ContentCipher::Aes128Cbc}}) {
        const std::string who(k.who);
        // -keyopt applies to the -recip before it.
        ASSERT_EQ(openssl("cms -encrypt -binary -outform DER -in content.bin -out enc.der -recip " +
                          data((who + ".cert.pem").c_str()) + " " + k.options),
                  0);
        const std::string der = read("enc.der");
        const std::vector<Identity> ids = {loadIdentity(k.who)};
        auto d = decryptCms(bytes(der), ids);
        ASSERT_TRUE(d) << k.options << ": " << d.error().detail;
        EXPECT_EQ(d->content, kContent);
        EXPECT_EQ(d->cipher, k.cipher);
    }
}

TEST_F(CmsInteropTest, WeVerifyWhatTheCliSigns) {
    write("content.bin", kContent);
    const std::vector<Certificate> root = {test::loadCert("root-ca.cert.pem")};
    for (const char* md : {"sha256", "sha384", "sha512"}) {
        for (const char* who : {"alice", "bob"}) {
            const std::string w(who);
            ASSERT_EQ(openssl("cms -sign -binary -outform DER -in content.bin -out sig.der -md " + std::string(md) +
                              " -signer " + data((w + ".cert.pem").c_str()) + " -inkey " +
                              data((w + ".key.pem").c_str()) + " -certfile " + data("chain.pem")),
                      0);
            const std::string der = read("sig.der");
            const std::array<base::ByteView, 1> content = {bytes(kContent)};
            auto v = verifyCms(bytes(der), content, VerifyOptions{root, test::checkTime()});
            ASSERT_TRUE(v) << v.error().detail;
            ASSERT_EQ(v->signers.size(), 1u);
            EXPECT_EQ(v->signers[0].status, SignatureStatus::Valid) << md << " " << who << ": " << v->signers[0].detail;
        }
    }
}

} // namespace
} // namespace sealpost::crypto
