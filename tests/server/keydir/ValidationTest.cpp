#include "keydir/Validation.h"

#include "KeydirTestCerts.h"
#include "crypto/Certificate.h"
#include "keydir/Address.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

namespace sealpost::keydir {
namespace {

using test::daysFromNow;
using test::LeafSpec;
using test::pemOf;
using test::testNow;

class ValidationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_pki = new test::TestPki(); }
    static void TearDownTestSuite() {
        delete s_pki;
        s_pki = nullptr;
    }

    Validation check(const std::string& body, SubmissionFormat format = SubmissionFormat::PemChain,
                     std::optional<std::string> address = std::nullopt, base::TimePoint at = testNow()) {
        const std::vector<crypto::Certificate> anchors{s_pki->root.cert};
        Validation v = validateSubmission(Submission{base::asBytes(body), format, std::move(address)}, anchors, at);
        EXPECT_EQ(ERR_peek_error(), 0u) << "validation left OpenSSL errors behind";
        return v;
    }
    Validation checkLeaf(const LeafSpec& spec) { return check(pemOf({s_pki->leaf(spec), s_pki->intermediate.cert})); }

    static void expectRejected(const Validation& v, RejectReason reason, std::string_view detailPart) {
        ASSERT_FALSE(v.accepted);
        EXPECT_EQ(rejectReasonName(v.reason), rejectReasonName(reason)) << v.detail;
        EXPECT_NE(v.detail.find(detailPart), std::string::npos) << v.detail;
    }

    static test::TestPki* s_pki;
};
test::TestPki* ValidationTest::s_pki = nullptr;

TEST_F(ValidationTest, AcceptsAGoodChainAndFilesItUnderEveryAddress) {
    LeafSpec spec;
    spec.emails = {"Alice@Example.org", "alice.smith@example.org"};
    spec.subjectEmail = "ALICE@example.org"; // the same address once more
    const crypto::Certificate leaf = s_pki->leaf(spec);
    const Validation v = check(pemOf({leaf, s_pki->intermediate.cert}));
    ASSERT_TRUE(v.accepted) << v.detail;
    EXPECT_EQ(v.accepted->fingerprint, leaf.sha256Fingerprint());
    ASSERT_EQ(v.accepted->chain.size(), 1u);
    EXPECT_TRUE(v.accepted->chain[0] == s_pki->intermediate.cert);
    std::vector<std::string> expected{addressHash("alice@example.org"), addressHash("alice.smith@example.org")};
    auto got = v.accepted->addressHashes;
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(got, expected);
}

TEST_F(ValidationTest, AcceptsRsaWithKeyEnciphermentAndNoExtensionsAtAll) {
    LeafSpec rsa;
    rsa.key = test::rsaKey();
    rsa.keyUsage = "digitalSignature,keyEncipherment";
    EXPECT_TRUE(checkLeaf(rsa).accepted);
    LeafSpec bare; // no keyUsage, no EKU: every use allowed
    bare.keyUsage.clear();
    bare.eku.clear();
    EXPECT_TRUE(checkLeaf(bare).accepted);
}

TEST_F(ValidationTest, ReadsDerAndCertsOnlyBundlesInAnyOrder) {
    const crypto::Certificate leaf = s_pki->leaf();
    const base::Bytes der = leaf.der();
    // DER alone: the leaf's issuer must be an anchor, so anchor the intermediate directly.
    const std::vector<crypto::Certificate> anchors{s_pki->intermediate.cert};
    const Validation v = validateSubmission(Submission{der, SubmissionFormat::Der, std::nullopt}, anchors, testNow());
    EXPECT_TRUE(v.accepted) << v.detail;

    const std::vector<crypto::Certificate> reversed{s_pki->intermediate.cert, leaf};
    auto bundle = crypto::makeCertificateBundle(reversed);
    ASSERT_TRUE(bundle);
    const Validation fromCms = check(std::string(base::asString(*bundle)), SubmissionFormat::CertsOnly);
    ASSERT_TRUE(fromCms.accepted) << fromCms.detail;
    EXPECT_EQ(fromCms.accepted->fingerprint, leaf.sha256Fingerprint());
    ASSERT_EQ(fromCms.accepted->chain.size(), 1u);
}

TEST_F(ValidationTest, Malformed) {
    expectRejected(check(""), RejectReason::Malformed, "empty");
    expectRejected(check("garbage"), RejectReason::Malformed, "PEM");
    expectRejected(check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), RejectReason::Malformed,
                   "");
    expectRejected(check("\x30\x03\x02\x01\x01", SubmissionFormat::Der), RejectReason::Malformed, "DER");
    expectRejected(check(pemOf({s_pki->leaf()}), SubmissionFormat::Der), RejectReason::Malformed, "not PEM");
    expectRejected(check("garbage", SubmissionFormat::CertsOnly), RejectReason::Malformed, "");
    // Two unrelated leaves in one bundle: which one is submitted?
    auto two = crypto::makeCertificateBundle(std::vector<crypto::Certificate>{s_pki->leaf(), s_pki->leaf()});
    ASSERT_TRUE(two);
    expectRejected(check(std::string(base::asString(*two)), SubmissionFormat::CertsOnly), RejectReason::Malformed,
                   "2 certificates that issued none");
}

TEST_F(ValidationTest, TooLarge) {
    LeafSpec big;
    big.padding = 17 * 1024;
    expectRejected(checkLeaf(big), RejectReason::TooLarge, "bytes (at most 16384)");
    std::string chain = pemOf({s_pki->leaf()});
    for (int i = 0; i < 9; ++i) {
        chain += s_pki->intermediate.cert.pem();
    }
    expectRejected(check(chain), RejectReason::TooLarge, "9 certificates after the leaf");
}

TEST_F(ValidationTest, CaCertificate) {
    LeafSpec ca;
    ca.ca = true;
    expectRejected(checkLeaf(ca), RejectReason::CaCertificate, "cA is true");
    expectRejected(check(pemOf({s_pki->intermediate.cert})), RejectReason::CaCertificate, "Intermediate");
}

TEST_F(ValidationTest, NoAddress) {
    LeafSpec none;
    none.emails.clear();
    expectRejected(checkLeaf(none), RejectReason::NoAddress, "CN=Test User");
    LeafSpec broken; // an rfc822Name that is not an address counts as none
    broken.emails = {"not-an-address"};
    expectRejected(checkLeaf(broken), RejectReason::NoAddress, "");
}

TEST_F(ValidationTest, WrongAddress) {
    const std::string body = pemOf({s_pki->leaf(), s_pki->intermediate.cert});
    expectRejected(check(body, SubmissionFormat::PemChain, "bob@example.org"), RejectReason::WrongAddress,
                   "names alice@example.org, not bob@example.org");
    EXPECT_TRUE(check(body, SubmissionFormat::PemChain, "alice@example.org").accepted);
}

TEST_F(ValidationTest, NotYetValid) {
    LeafSpec future;
    future.notBefore = daysFromNow(1);
    expectRejected(checkLeaf(future), RejectReason::NotYetValid, "not valid before 2026-06-02T00:00:00Z");
}

TEST_F(ValidationTest, Expired) {
    LeafSpec past;
    past.notBefore = daysFromNow(-60);
    past.notAfter = daysFromNow(-1);
    expectRejected(checkLeaf(past), RejectReason::Expired, "expired at 2026-05-31T00:00:00Z");
}

TEST_F(ValidationTest, Untrusted) {
    // Without the intermediate there is no path to the root.
    expectRejected(check(pemOf({s_pki->leaf()})), RejectReason::Untrusted, "unable to get local issuer certificate");
    // Another CA altogether.
    test::TestPki other;
    expectRejected(check(pemOf({other.leaf(), other.intermediate.cert})), RejectReason::Untrusted, "issuer");
    // A self-signed leaf.
    test::Key key = test::ecKey();
    expectRejected(check(pemOf({test::makeCertificate(LeafSpec{}, nullptr, key)})), RejectReason::Untrusted, "self");
}

TEST_F(ValidationTest, WrongPurpose) {
    LeafSpec tls;
    tls.eku = "clientAuth";
    expectRejected(checkLeaf(tls), RejectReason::WrongPurpose, "without emailProtection");
}

TEST_F(ValidationTest, UnusableKey) {
    LeafSpec signingOnly;
    signingOnly.keyUsage = "critical,digitalSignature";
    expectRejected(checkLeaf(signingOnly), RejectReason::UnusableKey,
                   "id-ecPublicKey key, no keyEncipherment, no keyAgreement");
    LeafSpec rsaAgreement; // RSA cannot do key agreement
    rsaAgreement.key = test::rsaKey();
    rsaAgreement.keyUsage = "digitalSignature,keyAgreement";
    expectRejected(checkLeaf(rsaAgreement), RejectReason::UnusableKey, "rsaEncryption key");
    LeafSpec ed;
    ed.key = test::ed25519Key();
    ed.keyUsage.clear();
    expectRejected(checkLeaf(ed), RejectReason::UnusableKey, "ED25519");
}

TEST_F(ValidationTest, TheFirstFailingCheckIsTheReason) {
    // Expired and untrusted and for TLS: expired comes first in the table.
    LeafSpec spec;
    spec.notBefore = daysFromNow(-60);
    spec.notAfter = daysFromNow(-1);
    spec.eku = "clientAuth";
    expectRejected(check(pemOf({s_pki->leaf(spec)})), RejectReason::Expired, "");
    // A CA certificate without an address: ca-certificate comes before no-address.
    expectRejected(check(pemOf({s_pki->root.cert})), RejectReason::CaCertificate, "");
}

TEST(RejectReasonTest, WireNames) {
    const std::vector<std::string> names{"malformed",     "too-large",     "ca-certificate", "no-address",
                                         "wrong-address", "not-yet-valid", "expired",        "untrusted",
                                         "wrong-purpose", "unusable-key"};
    for (int i = 0; i < rejectReasonCount; ++i) {
        EXPECT_EQ(rejectReasonName(static_cast<RejectReason>(i)), names[static_cast<std::size_t>(i)]);
    }
}

} // namespace
} // namespace sealpost::keydir
