#include "ca/mail/DkimVerifier.h"

#include "DkimTestSigner.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace sealpost::ca::mail {
namespace {

namespace fs = std::filesystem;

const std::string kReply = "From: Bob <bob@example.org>\r\n"
                           "To: acme@ca.example\r\n"
                           "Subject: Re: ACME: AAAAAAAAAAAAAAAAAAAAAAAA\r\n"
                           "Date: Thu, 15 Jan 2026 12:00:00 +0000\r\n"
                           "Message-ID: <reply@example.org>\r\n"
                           "\r\n"
                           "-----BEGIN ACME RESPONSE-----\r\n"
                           "96xX-QbAMO2uGv9ROPOo880E8kQZpP8iS-zZn848ttA\r\n"
                           "-----END ACME RESPONSE-----\r\n";

std::string replaceFirst(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

class DkimVerifierTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("sealpost-dkim-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(m_dir);
        std::ofstream(m_dir / "keys") << example.keyFileLine() << other.keyFileLine();
        auto created = DkimVerifier::create(DkimOptions{(m_dir / "keys").string()});
        ASSERT_TRUE(created) << created.error().detail;
        verifier.emplace(std::move(*created));
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    [[nodiscard]] DkimCheck check(const std::string& message) const {
        auto result = verifier->verify(message);
        EXPECT_TRUE(result) << (result ? "" : result.error().detail);
        return result ? *result : DkimCheck{};
    }

    test::DkimTestSigner example{"sel", "example.org"};
    test::DkimTestSigner other{"sel", "other.example"};
    std::optional<DkimVerifier> verifier;
    fs::path m_dir;
};

TEST_F(DkimVerifierTest, ValidSignatureOfTheFromDomainVerifies) {
    const auto c = check(example.sign(kReply));
    EXPECT_TRUE(c.verified) << c.detail;
    EXPECT_EQ(c.detail, "d=example.org");
}

TEST_F(DkimVerifierTest, BareLfMessageVerifies) {
    std::string lf = example.sign(kReply);
    lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
    EXPECT_TRUE(check(lf).verified);
}

TEST_F(DkimVerifierTest, TamperedSubjectFails) {
    const std::string signedMail = example.sign(kReply);
    const auto c = check(replaceFirst(signedMail, "Subject: Re: ACME: A", "Subject: Re: ACME: B"));
    EXPECT_FALSE(c.verified);
    EXPECT_NE(c.detail.find("example.org"), std::string::npos) << c.detail;
}

TEST_F(DkimVerifierTest, TamperedBodyFails) {
    EXPECT_FALSE(check(replaceFirst(example.sign(kReply), "96xX", "96xY")).verified);
}

TEST_F(DkimVerifierTest, SignatureOfAnotherDomainDoesNotCount) {
    const auto c = check(other.sign(kReply));
    EXPECT_FALSE(c.verified);
    EXPECT_NE(c.detail.find("no valid DKIM signature of example.org"), std::string::npos) << c.detail;
}

TEST_F(DkimVerifierTest, MissingSignatureFails) {
    const auto c = check(kReply);
    EXPECT_FALSE(c.verified);
    EXPECT_EQ(c.detail, "no DKIM signature");
}

TEST_F(DkimVerifierTest, SignatureNotCoveringSubjectDoesNotCount) {
    const std::string signedMail = example.sign(kReply, {"from", "to", "date"});
    ASSERT_EQ(signedMail.find("subject"), std::string::npos);
    EXPECT_FALSE(check(signedMail).verified);
}

TEST_F(DkimVerifierTest, UnknownKeyFails) {
    test::DkimTestSigner unknown{"nokey", "example.org"};
    EXPECT_FALSE(check(unknown.sign(kReply)).verified);
}

TEST_F(DkimVerifierTest, MessageWithoutSingleFromIsMalformed) {
    auto twoFrom = verifier->verify("From: a@example.org, b@example.org\r\nSubject: x\r\n\r\nbody\r\n");
    ASSERT_FALSE(twoFrom);
    EXPECT_EQ(twoFrom.error().code, base::ErrorCode::MalformedInput);
    EXPECT_FALSE(verifier->verify("Subject: x\r\n\r\nbody\r\n"));
}

} // namespace
} // namespace sealpost::ca::mail
