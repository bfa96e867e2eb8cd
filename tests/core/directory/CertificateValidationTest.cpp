#include "directory/CertificateValidation.h"

#include "DirectoryTestSupport.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::directory;
using namespace sealpost::directory::test;

namespace {

class CertificateValidationTest : public ::testing::Test {
protected:
    Validation check(const std::string& certFile, const std::string& address) {
        return validateForAddress(fixtureCert(certFile), m_intermediates, address, m_anchors, kTestNow);
    }

    std::vector<crypto::Certificate> m_anchors{fixtureCert("root-ca.cert.pem")};
    std::vector<crypto::Certificate> m_intermediates{fixtureCert("intermediate-ca.cert.pem")};
};

} // namespace

TEST_F(CertificateValidationTest, GoodCertificateForItsAddress) {
    const Validation v = check("alice.cert.pem", "alice@example.org");
    EXPECT_TRUE(v.ok()) << validationProblemName(v.problem) << ": " << v.detail;
    EXPECT_TRUE(check("bob.cert.pem", "bob@example.org").ok()); // EC with keyAgreement
}

TEST_F(CertificateValidationTest, WrongAddress) {
    const Validation v = check("alice.cert.pem", "bob@example.org");
    EXPECT_EQ(v.problem, ValidationProblem::WrongAddress);
}

TEST_F(CertificateValidationTest, UntrustedRoot) {
    const Validation v = check("dave-untrusted.cert.pem", "dave@example.org");
    EXPECT_EQ(v.problem, ValidationProblem::Untrusted);
    EXPECT_FALSE(v.detail.empty());
}

TEST_F(CertificateValidationTest, MissingIntermediateIsUntrusted) {
    const Validation v =
        validateForAddress(fixtureCert("alice.cert.pem"), {}, "alice@example.org", m_anchors, kTestNow);
    EXPECT_EQ(v.problem, ValidationProblem::Untrusted);
}

TEST_F(CertificateValidationTest, Expired) {
    const Validation v = check("eve-expired.cert.pem", "eve@example.org");
    EXPECT_EQ(v.problem, ValidationProblem::Expired) << v.detail;
}

TEST_F(CertificateValidationTest, NotYetValidBeforeItsNotBefore) {
    const Validation v = validateForAddress(fixtureCert("alice.cert.pem"), m_intermediates, "alice@example.org",
                                            m_anchors, std::chrono::system_clock::from_time_t(1700000000));
    EXPECT_EQ(v.problem, ValidationProblem::NotYetValid) << v.detail;
}

TEST_F(CertificateValidationTest, NoEmailProtection) {
    const Validation v = check("mallory-noemail.cert.pem", "mallory@example.org");
    EXPECT_EQ(v.problem, ValidationProblem::WrongPurpose) << v.detail;
}

TEST_F(CertificateValidationTest, AnchorsOfTheProfileOnlyCount) {
    const Validation v =
        validateForAddress(fixtureCert("alice.cert.pem"), m_intermediates, "alice@example.org",
                           std::vector<crypto::Certificate>{fixtureCert("other-root-ca.cert.pem")}, kTestNow);
    EXPECT_EQ(v.problem, ValidationProblem::Untrusted);
}
