// What the protector writes must open with another implementation: the openssl command line.
#include "SmimeTestSupport.h"
#include "smime/MessageProtector.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace sealpost::smime {
namespace {

using namespace test;
namespace fs = std::filesystem;

constexpr std::string_view kMessage = "From: Alice Test <alice@example.org>\n"
                                      "To: Bob Test <bob@example.org>\n"
                                      "Subject: Interop\n"
                                      "Content-Type: text/plain; charset=utf-8\n"
                                      "Content-Transfer-Encoding: 8bit\n"
                                      "\n"
                                      "Gr\xc3\xbc\xc3\x9f"
                                      "e, Bob.\n"
                                      "From the openssl side.\n";

std::string withoutCr(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
    return s;
}

class MessageProtectorInteropTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("openssl version > /dev/null 2>&1") != 0) {
            GTEST_SKIP() << "openssl command line not available";
        }
        m_dir = fs::temp_directory_path() / ("sealpost-interop-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    std::string path(const std::string& name) const { return (m_dir / name).string(); }

    void write(const std::string& name, std::string_view data) const {
        std::ofstream out(path(name), std::ios::binary);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
    }

    // Runs an openssl command; stderr goes to a file so a failure can show it.
    bool openssl(const std::string& args) const {
        const std::string cmd = "openssl " + args + " 2> " + path("stderr.txt");
        const bool ok = std::system(cmd.c_str()) == 0;
        if (!ok) {
            ADD_FAILURE() << cmd << "\n" << readFile(path("stderr.txt"));
        }
        return ok;
    }

    std::string verifyArgs(const std::string& in, const std::string& out) const {
        // Text mode (no -binary): OpenSSL 3.0's -binary MIME splitter keeps the CR before the
        // boundary in the content; our content is already CRLF, so text mode hashes the same bytes.
        return "cms -verify -in " + in + " -out " + out + " -CAfile " + dataPath("root-ca.cert.pem") +
               " -attime 1780272000 -purpose smimesign";
    }
    std::string decryptArgs(const std::string& in, const std::string& out, const std::string& who) const {
        return "cms -decrypt -binary -in " + in + " -out " + out + " -recip " + dataPath(who + ".cert.pem") +
               " -inkey " + dataPath(who + ".key.pem");
    }

    std::string protect(const ProtectRequest& req) const {
        std::string out;
        base::StringSink sink(out);
        auto done = protectMessage(kMessage, req, sink);
        EXPECT_TRUE(done) << (done ? "" : done.error().detail);
        return out;
    }

    ProtectRequest signRequest(SignatureForm form) const {
        ProtectRequest r;
        r.sign = SignStep{loadIdentity("alice"), form, crypto::DigestAlgorithm::Sha256, std::nullopt};
        r.now = signTime();
        return r;
    }

    fs::path m_dir;
};

// The protected entity: the content header with the body re-encoded as quoted-printable.
void expectCanonicalEntity(const std::string& entity) {
    const std::string lf = withoutCr(entity);
    EXPECT_NE(lf.find("Content-Type: text/plain; charset=utf-8\n"), std::string::npos) << entity;
    EXPECT_NE(lf.find("Content-Transfer-Encoding: quoted-printable\n"), std::string::npos) << entity;
    EXPECT_NE(lf.find("Gr=C3=BC=C3=9Fe, Bob.\n=46rom the openssl side.\n"), std::string::npos) << entity;
    EXPECT_EQ(lf.find("Subject:"), std::string::npos);
}

TEST_F(MessageProtectorInteropTest, OpensslVerifiesDetachedSignature) {
    write("signed.eml", protect(signRequest(SignatureForm::Detached)));
    ASSERT_TRUE(openssl(verifyArgs(path("signed.eml"), path("content.mime"))));
    expectCanonicalEntity(readFile(path("content.mime")));
}

TEST_F(MessageProtectorInteropTest, OpensslVerifiesOpaqueSignature) {
    write("signed.eml", protect(signRequest(SignatureForm::Opaque)));
    ASSERT_TRUE(openssl(verifyArgs(path("signed.eml"), path("content.mime")) + " -binary"));
    const std::string content = readFile(path("content.mime"));
    EXPECT_EQ(content.find('\n'), content.find("\r\n") + 1); // CRLF inside, byte for byte
    expectCanonicalEntity(content);
}

TEST_F(MessageProtectorInteropTest, OpensslDecryptsForRsaAndEcRecipients) {
    for (const auto cipher : {crypto::ContentCipher::Aes256Gcm, crypto::ContentCipher::Aes256Cbc}) {
        ProtectRequest req;
        req.encrypt = EncryptStep{{loadCertificate("alice.cert.pem"), loadCertificate("bob.cert.pem")}, {cipher}};
        write("encrypted.eml", protect(req));
        for (const char* who : {"alice", "bob"}) {
            ASSERT_TRUE(openssl(decryptArgs(path("encrypted.eml"), path("plain.mime"), who))) << who;
            const std::string plain = readFile(path("plain.mime"));
            EXPECT_EQ(withoutCr(plain).size() + std::count(plain.begin(), plain.end(), '\n'), plain.size())
                << "not CRLF";
            expectCanonicalEntity(plain);
        }
    }
}

TEST_F(MessageProtectorInteropTest, OpensslDecryptsThenVerifiesSignedAndEncrypted) {
    ProtectRequest req = signRequest(SignatureForm::Detached);
    req.encrypt = EncryptStep{{loadCertificate("bob.cert.pem")}, {}};
    write("encrypted.eml", protect(req));
    ASSERT_TRUE(openssl(decryptArgs(path("encrypted.eml"), path("signed.mime"), "bob")));
    ASSERT_TRUE(openssl(verifyArgs(path("signed.mime"), path("content.mime"))));
    expectCanonicalEntity(readFile(path("content.mime")));
}

// RFC 9788 header protection changes only what is signed; openssl must still verify it and hand
// back the entity with the message fields and hp="clear".
TEST_F(MessageProtectorInteropTest, OpensslVerifiesHeaderProtectedSignature) {
    ProtectRequest req = signRequest(SignatureForm::Detached);
    req.protectHeaders = true;
    write("signed.eml", protect(req));
    ASSERT_TRUE(openssl(verifyArgs(path("signed.eml"), path("content.mime"))));
    const std::string lf = withoutCr(readFile(path("content.mime")));
    EXPECT_NE(lf.find("Subject: Interop\n"), std::string::npos) << lf;
    EXPECT_NE(lf.find("From: Alice Test <alice@example.org>\n"), std::string::npos) << lf;
    EXPECT_NE(lf.find("Content-Type: text/plain; charset=utf-8; hp=\"clear\"\n"), std::string::npos) << lf;
}

} // namespace
} // namespace sealpost::smime
