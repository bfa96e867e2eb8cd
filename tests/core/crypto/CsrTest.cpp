#include "crypto/Csr.h"

#include "crypto/KeyGen.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <unistd.h>

namespace sealpost::crypto {
namespace {

namespace fs = std::filesystem;

class CsrTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("sealpost-csr-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    [[nodiscard]] static bool haveOpenssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }
    [[nodiscard]] fs::path write(const std::string& name, const base::Bytes& data) const {
        const fs::path path = m_dir / name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        return path;
    }
    [[nodiscard]] static base::Bytes read(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    fs::path m_dir;
};

TEST_F(CsrTest, RoundTripForEveryKeyType) {
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::P256, KeySpec::P384}) {
        auto key = generateKey(spec);
        ASSERT_TRUE(key);
        auto der = makeCsr(*key, {{"Alice@Example.org", "alice@second.example"}, {}});
        ASSERT_TRUE(der) << der.error().detail;
        auto parsed = parseCsr(*der);
        ASSERT_TRUE(parsed) << parsed.error().detail;
        EXPECT_TRUE(parsed->key.sameAs(PublicKey::of(*key)));
        EXPECT_EQ(parsed->names.emails, (std::vector<std::string>{"Alice@Example.org", "alice@second.example"}));
        EXPECT_TRUE(parsed->names.dnsNames.empty());
        EXPECT_EQ(parsed->subjectCommonName, "Alice@Example.org");
        EXPECT_TRUE(parsed->subjectEmails.empty());
    }
}

TEST_F(CsrTest, DnsNamesForWebCas) {
    auto key = generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto der = makeCsr(*key, {{}, {"test.example"}});
    ASSERT_TRUE(der);
    auto parsed = parseCsr(*der);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->names.dnsNames, std::vector<std::string>{"test.example"});
    EXPECT_EQ(parsed->subjectCommonName, "test.example");
}

TEST_F(CsrTest, NeedsAName) {
    auto key = generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    EXPECT_EQ(makeCsr(*key, {}).error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(CsrTest, TamperedSignatureIsRefused) {
    auto key = generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto der = makeCsr(*key, {{"alice@example.org"}, {}});
    ASSERT_TRUE(der);
    // The address sits inside the signed part: change one letter of it.
    base::Bytes tampered = *der;
    const std::string needle = "alice@";
    auto it = std::search(tampered.begin(), tampered.end(), needle.begin(), needle.end());
    ASSERT_NE(it, tampered.end());
    *it = 'm';
    auto parsed = parseCsr(tampered);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, base::ErrorCode::AuthFailed);
}

TEST_F(CsrTest, GarbageTruncationAndTrailingBytesAreMalformed) {
    auto key = generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto der = makeCsr(*key, {{"alice@example.org"}, {}});
    ASSERT_TRUE(der);
    base::Bytes trailing = *der;
    trailing.push_back(0);
    EXPECT_EQ(parseCsr(trailing).error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(parseCsr(base::Bytes(der->begin(), der->begin() + 40)).error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(parseCsr(base::Bytes{0x30, 0x00}).error().code, base::ErrorCode::MalformedInput);
    EXPECT_EQ(parseCsr({}).error().code, base::ErrorCode::MalformedInput);
}

TEST_F(CsrTest, OpensslAcceptsOurs) {
    if (!haveOpenssl()) {
        GTEST_SKIP() << "openssl command not installed";
    }
    auto key = generateKey(KeySpec::Rsa2048);
    ASSERT_TRUE(key);
    auto der = makeCsr(*key, {{"alice@example.org"}, {}});
    ASSERT_TRUE(der);
    const fs::path csr = write("ours.csr", *der);
    const fs::path text = m_dir / "ours.txt";
    const std::string command =
        "openssl req -inform DER -in '" + csr.string() + "' -verify -noout -text > '" + text.string() + "' 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    const base::Bytes out = read(text);
    const std::string printed(out.begin(), out.end());
    EXPECT_NE(printed.find("email:alice@example.org"), std::string::npos) << printed;
}

TEST_F(CsrTest, ReadsOpensslsCsrWithEmailSanAndSubjectEmail) {
    if (!haveOpenssl()) {
        GTEST_SKIP() << "openssl command not installed";
    }
    const fs::path csr = m_dir / "theirs.csr";
    const std::string command =
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" + (m_dir / "k.pem").string() +
        "' -subj '/CN=Bob/emailAddress=bob@example.org' -addext 'subjectAltName=email:bob@example.org' -outform DER "
        "-out '" +
        csr.string() + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    auto parsed = parseCsr(read(csr));
    ASSERT_TRUE(parsed) << parsed.error().detail;
    EXPECT_EQ(parsed->names.emails, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(parsed->subjectEmails, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(parsed->subjectCommonName, "Bob");
    EXPECT_EQ(parsed->key.type(), KeyType::Ec);
}

TEST_F(CsrTest, OtherSanKindsAreUnsupported) {
    if (!haveOpenssl()) {
        GTEST_SKIP() << "openssl command not installed";
    }
    const fs::path csr = m_dir / "uri.csr";
    const std::string command = "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" +
                                (m_dir / "k.pem").string() +
                                "' -subj '/CN=x' -addext 'subjectAltName=email:a@example.org,URI:https://example.org/' "
                                "-outform DER -out '" +
                                csr.string() + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    auto parsed = parseCsr(read(csr));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, base::ErrorCode::Unsupported);
}

} // namespace
} // namespace sealpost::crypto
