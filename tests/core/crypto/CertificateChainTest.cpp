#include "crypto/CertificateChain.h"

#include "CryptoTestSupport.h"

#include <gtest/gtest.h>
#include <vector>

namespace sealpost::crypto {
namespace {

using test::checkTime;
using test::loadCert;

// The anchors are handed to OpenSSL as a trusted stack: the right one must be found among many
// (the system's), duplicates must not matter, and a chain must still end at an anchor.
class CertificateChainTest : public ::testing::Test {
protected:
    Certificate m_alice = loadCert("alice.cert.pem");
    Certificate m_intermediate = loadCert("intermediate-ca.cert.pem");
    Certificate m_root = loadCert("root-ca.cert.pem");
    std::vector<Certificate> m_chain{m_intermediate};

    static std::vector<Certificate> systemAnchors() {
        auto anchors = loadSystemTrustAnchors();
        EXPECT_TRUE(anchors) << anchors.error().detail;
        return anchors ? *anchors : std::vector<Certificate>{};
    }
};

TEST_F(CertificateChainTest, FindsTheAnchorAmongTheSystemAnchors) {
    std::vector<Certificate> anchors = systemAnchors();
    anchors.insert(anchors.begin() + static_cast<std::ptrdiff_t>(anchors.size() / 2), m_root);
    const ChainCheck check = checkChain(m_alice, m_chain, anchors, checkTime(), ChainPurpose::SmimeSigning);
    ASSERT_TRUE(check.valid) << check.detail;
    ASSERT_EQ(check.chain.size(), 3U);
    EXPECT_TRUE(check.chain.front() == m_alice);
    EXPECT_TRUE(check.chain.back() == m_root);
}

TEST_F(CertificateChainTest, SystemAnchorsAloneDoNotTrustTheTestRoot) {
    const ChainCheck check = checkChain(m_alice, m_chain, systemAnchors(), checkTime(), ChainPurpose::SmimeSigning);
    EXPECT_FALSE(check.valid);
    EXPECT_EQ(check.problem, ChainProblem::Untrusted);
    EXPECT_TRUE(check.chain.empty());
}

TEST_F(CertificateChainTest, NoAnchorsTrustNothing) {
    const ChainCheck check = checkChain(m_alice, m_chain, {}, checkTime(), ChainPurpose::SmimeSigning);
    EXPECT_FALSE(check.valid);
    EXPECT_EQ(check.problem, ChainProblem::Untrusted);
}

TEST_F(CertificateChainTest, AnAnchorGivenTwiceIsStillOneAnchor) {
    const std::vector<Certificate> anchors{m_root, m_root};
    const ChainCheck check = checkChain(m_alice, m_chain, anchors, checkTime(), ChainPurpose::SmimeSigning);
    ASSERT_TRUE(check.valid) << check.detail;
    EXPECT_EQ(check.chain.size(), 3U);
}

TEST_F(CertificateChainTest, APinnedIntermediateEndsThePath) {
    const std::vector<Certificate> anchors{m_intermediate};
    const ChainCheck check = checkChain(m_alice, {}, anchors, checkTime(), ChainPurpose::SmimeSigning);
    ASSERT_TRUE(check.valid) << check.detail;
    ASSERT_EQ(check.chain.size(), 2U);
    EXPECT_TRUE(check.chain.back() == m_intermediate);
}

TEST_F(CertificateChainTest, AnExpiredLeafIsExpiredWhateverTheAnchors) {
    std::vector<Certificate> anchors = systemAnchors();
    anchors.push_back(m_root);
    const ChainCheck check =
        checkChain(loadCert("eve-expired.cert.pem"), m_chain, anchors, checkTime(), ChainPurpose::SmimeSigning);
    EXPECT_FALSE(check.valid);
    EXPECT_EQ(check.problem, ChainProblem::Expired);
}

} // namespace
} // namespace sealpost::crypto
