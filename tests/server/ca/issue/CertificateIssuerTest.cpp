#include "ca/issue/CertificateIssuer.h"

#include "IssueTestSupport.h"
#include "ca/issue/Authority.h"
#include "crypto/AriCertId.h"
#include "crypto/Csr.h"
#include "crypto/KeyGen.h"
#include "crypto/OpenSslHandles.h"
#include "crypto/PublicKey.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <set>
#include <thread>

namespace sealpost::ca {
namespace {

using namespace std::chrono_literals;
using crypto::KeySpec;

const base::TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 6 / 1} + 10h;

// A CSR with an emailAddress in the subject, which crypto::makeCsr does not write.
base::Bytes csrWithSubjectEmail(const crypto::PrivateKey& key, const std::string& subjectEmail,
                                const std::string& sanEmail) {
    X509_REQ* req = X509_REQ_new();
    X509_NAME* subject = X509_REQ_get_subject_name(req);
    X509_NAME_add_entry_by_NID(subject, NID_pkcs9_emailAddress, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(subjectEmail.c_str()), -1, -1, 0);
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    const std::string san = "email:" + sanEmail;
    sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_set_pubkey(req, key.native());
    X509_REQ_sign(req, key.native(), EVP_sha256());
    unsigned char* der = nullptr;
    const int length = i2d_X509_REQ(req, &der);
    base::Bytes out(der, der + std::max(length, 0));
    OPENSSL_free(der);
    X509_REQ_free(req);
    return out;
}

crypto::PrivateKey keygen(const char* type, const char* curve) {
    return crypto::PrivateKey::adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve));
}

class CertificateIssuerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<test::TempDir>();
        AuthorityInitOptions options;
        options.mailFrom = "acme@ca.example";
        options.now = kNow - 24h;
        auto authority = Authority::init(s_dir->path() / "ca", options, "correct horse");
        ASSERT_TRUE(authority) << authority.error().detail;
        s_authority = std::make_unique<Authority>(std::move(*authority));
        auto account = crypto::generateKey(KeySpec::P256);
        ASSERT_TRUE(account);
        s_accountSpki = *crypto::PublicKey::of(*account).spkiDer();
    }
    static void TearDownTestSuite() {
        s_authority.reset();
        s_dir.reset();
    }

    static IssueRequest request(const base::Bytes& csr, std::vector<std::string> emails) {
        return IssueRequest{csr, std::move(emails), s_accountSpki, kNow};
    }
    static Issuer::Outcome issue(const base::Bytes& csr, std::vector<std::string> emails) {
        auto outcome = s_authority->issuer()->issue(request(csr, std::move(emails)));
        EXPECT_TRUE(outcome) << outcome.error().detail;
        return outcome ? *outcome : Issuer::Outcome{};
    }
    static base::Bytes csr(const crypto::PrivateKey& key, std::vector<std::string> emails,
                           std::vector<std::string> dns = {}) {
        auto der = crypto::makeCsr(key, {std::move(emails), std::move(dns)});
        EXPECT_TRUE(der);
        return der ? *der : base::Bytes{};
    }
    static void expectRefused(const Issuer::Outcome& outcome, CsrProblem problem) {
        EXPECT_FALSE(outcome.issued);
        ASSERT_TRUE(outcome.refused);
        EXPECT_EQ(outcome.refused->problem, problem) << outcome.refused->detail;
        EXPECT_FALSE(outcome.refused->detail.empty());
    }

    static inline std::unique_ptr<test::TempDir> s_dir;
    static inline std::unique_ptr<Authority> s_authority;
    static inline base::Bytes s_accountSpki;
};

// Every field and extension docs/acme.md ("Issuance") names, for one leaf.
void expectLeafProfile(const IssuedCertificate& issued, const Authority& authority, crypto::KeyType keyType,
                       const std::vector<std::string>& emails) {
    const crypto::Certificate& leaf = issued.leaf;
    EXPECT_EQ(X509_get_version(leaf.native()), X509_VERSION_3);
    EXPECT_EQ(test::subjectEntries(leaf), (std::vector<std::pair<int, std::string>>{{NID_commonName, emails.front()}}));
    EXPECT_EQ(
        X509_NAME_cmp(X509_get_issuer_name(leaf.native()), X509_get_subject_name(authority.intermediate().native())),
        0);
    EXPECT_TRUE(test::signedBy(leaf, authority.intermediate()));
    // A P-384 intermediate signs with SHA-384.
    EXPECT_EQ(X509_get_signature_nid(leaf.native()), NID_ecdsa_with_SHA384);

    EXPECT_EQ(test::sanEmails(leaf), emails);
    EXPECT_TRUE(test::extension(leaf, NID_subject_alt_name).present);
    EXPECT_FALSE(test::extension(leaf, NID_subject_alt_name).critical);
    EXPECT_EQ(test::extendedKeyUsages(leaf), std::vector<int>{NID_email_protect});

    const auto ku = test::extension(leaf, NID_key_usage);
    EXPECT_TRUE(ku.present && ku.critical);
    const std::uint32_t expectedKu = keyType == crypto::KeyType::Rsa ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
                                                                     : (KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
    EXPECT_EQ(X509_get_key_usage(leaf.native()), expectedKu);

    const auto bc = test::extension(leaf, NID_basic_constraints);
    EXPECT_TRUE(bc.present && bc.critical);
    EXPECT_FALSE(test::basicConstraints(leaf).ca);

    const std::string ski = test::octets(X509_get0_subject_key_id(leaf.native()));
    const std::string aki = test::octets(X509_get0_authority_key_id(leaf.native()));
    EXPECT_EQ(ski.size(), 20U);
    EXPECT_EQ(aki, test::octets(X509_get0_subject_key_id(authority.intermediate().native())));
    EXPECT_NE(ski, aki);

    // 128-bit random, positive, non-zero serial.
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.native()), nullptr);
    ASSERT_NE(serial, nullptr);
    EXPECT_FALSE(BN_is_negative(serial));
    EXPECT_FALSE(BN_is_zero(serial));
    EXPECT_LE(BN_num_bits(serial), 127);
    EXPECT_GT(BN_num_bits(serial), 64); // 2^-63 odds of a false failure
    BN_free(serial);

    EXPECT_EQ(leaf.notBefore(), kNow - 1h);
    EXPECT_EQ(leaf.notAfter(), kNow + std::chrono::hours(24 * 90));

    ASSERT_EQ(issued.chain.size(), 1U);
    EXPECT_EQ(issued.chain.front(), authority.intermediate());
    auto certId = crypto::ariCertId(leaf);
    ASSERT_TRUE(certId);
    EXPECT_EQ(issued.ariCertId, *certId);
}

TEST_F(CertificateIssuerTest, IssuesForEveryAcceptedKeyType) {
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096, KeySpec::P256, KeySpec::P384}) {
        SCOPED_TRACE(std::string(crypto::keySpecName(spec)));
        auto key = crypto::generateKey(spec);
        ASSERT_TRUE(key);
        const auto outcome = issue(csr(*key, {"alice@example.org"}), {"alice@example.org"});
        ASSERT_TRUE(outcome.issued);
        EXPECT_FALSE(outcome.refused);
        expectLeafProfile(*outcome.issued, *s_authority, key->type(), {"alice@example.org"});
        crypto::OsslPtr<EVP_PKEY> leafKey(X509_get_pubkey(outcome.issued->leaf.native()));
        EXPECT_EQ(EVP_PKEY_eq(leafKey.get(), key->native()), 1);
    }
}

TEST_F(CertificateIssuerTest, SeveralAddressesComparedWithoutCase) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    const auto outcome =
        issue(csr(*key, {"Bob@Example.ORG", "alice@example.org"}), {"alice@example.org", "bob@example.org"});
    ASSERT_TRUE(outcome.issued);
    // The order's addresses, in the order's order; the CN is the first.
    expectLeafProfile(*outcome.issued, *s_authority, crypto::KeyType::Ec, {"alice@example.org", "bob@example.org"});
}

TEST_F(CertificateIssuerTest, SubjectEmailAmongTheOrdersIsAccepted) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    const auto outcome =
        issue(csrWithSubjectEmail(*key, "Alice@example.org", "alice@example.org"), {"alice@example.org"});
    ASSERT_TRUE(outcome.issued);
    // Nothing of the CSR's subject is copied.
    EXPECT_EQ(test::subjectEntries(outcome.issued->leaf),
              (std::vector<std::pair<int, std::string>>{{NID_commonName, "alice@example.org"}}));
}

TEST_F(CertificateIssuerTest, AddressTooLongForTheCommonNameLeavesTheSubjectEmpty) {
    const std::string address = std::string(70, 'a') + "@example.org";
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    const auto outcome = issue(csr(*key, {address}), {address});
    ASSERT_TRUE(outcome.issued);
    EXPECT_TRUE(test::subjectEntries(outcome.issued->leaf).empty());
    EXPECT_EQ(test::sanEmails(outcome.issued->leaf), std::vector<std::string>{address});
    EXPECT_TRUE(test::extension(outcome.issued->leaf, NID_subject_alt_name).critical); // RFC 5280 4.2.1.6
}

TEST_F(CertificateIssuerTest, OpensslVerifiesTheLeafForSigningAndEncryption) {
    if (!test::haveOpenssl()) {
        GTEST_SKIP() << "openssl command line not available";
    }
    test::TempDir dir;
    test::writeFile(dir.path() / "root.pem", s_authority->root().pem());
    test::writeFile(dir.path() / "intermediate.pem", s_authority->intermediate().pem());
    for (const KeySpec spec : {KeySpec::Rsa2048, KeySpec::P256}) {
        auto key = crypto::generateKey(spec);
        ASSERT_TRUE(key);
        const auto outcome = issue(csr(*key, {"alice@example.org"}), {"alice@example.org"});
        ASSERT_TRUE(outcome.issued);
        test::writeFile(dir.path() / "leaf.pem", outcome.issued->leaf.pem());
        // -attime: the certificates are dated around kNow, not today.
        const std::string common = " -attime " + std::to_string(std::chrono::system_clock::to_time_t(kNow)) +
                                   " -CAfile root.pem -untrusted intermediate.pem leaf.pem";
        EXPECT_TRUE(test::runOpenssl(dir.path(), "verify -purpose smimesign" + common));
        if (spec == KeySpec::Rsa2048) {
            EXPECT_TRUE(test::runOpenssl(dir.path(), "verify -purpose smimeencrypt" + common));
        }
    }
}

TEST_F(CertificateIssuerTest, RefusesKeysOfOtherTypesOrSizes) {
    auto rsa1024 = crypto::PrivateKey::adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
    expectRefused(issue(csr(rsa1024, {"alice@example.org"}), {"alice@example.org"}), CsrProblem::BadPublicKey);
    auto p521 = keygen("EC", "P-521");
    expectRefused(issue(csr(p521, {"alice@example.org"}), {"alice@example.org"}), CsrProblem::BadPublicKey);
}

TEST_F(CertificateIssuerTest, RefusesTheAccountKey) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    const base::Bytes der = csr(*key, {"alice@example.org"});
    IssueRequest req = request(der, {"alice@example.org"});
    req.accountKeySpki = *crypto::PublicKey::of(*key).spkiDer();
    auto outcome = s_authority->issuer()->issue(req);
    ASSERT_TRUE(outcome);
    expectRefused(*outcome, CsrProblem::BadCsr);
}

TEST_F(CertificateIssuerTest, RefusesAnUnreadableOrForgedCsr) {
    expectRefused(issue(base::Bytes{0x30, 0x03, 0x02, 0x01, 0x00}, {"alice@example.org"}), CsrProblem::BadCsr);
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    base::Bytes forged = csr(*key, {"alice@example.org"});
    // The subjectAltName's text sits in the signed part: change one letter of the address.
    const std::string needle = "alice@example.org";
    auto it = std::search(forged.begin(), forged.end(), needle.begin(), needle.end());
    ASSERT_NE(it, forged.end());
    *it = 'b';
    expectRefused(issue(forged, {"blice@example.org"}), CsrProblem::BadCsr);
}

TEST_F(CertificateIssuerTest, RefusesNamesOtherThanTheOrders) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    // Missing one, one too many, another one, a DNS name besides, no SAN at all.
    expectRefused(issue(csr(*key, {"alice@example.org"}), {"alice@example.org", "bob@example.org"}),
                  CsrProblem::BadCsr);
    expectRefused(issue(csr(*key, {"alice@example.org", "bob@example.org"}), {"alice@example.org"}),
                  CsrProblem::BadCsr);
    expectRefused(issue(csr(*key, {"mallory@example.org"}), {"alice@example.org"}), CsrProblem::BadCsr);
    expectRefused(issue(csr(*key, {"alice@example.org"}, {"example.org"}), {"alice@example.org"}), CsrProblem::BadCsr);
    expectRefused(issue(csr(*key, {}, {"example.org"}), {"alice@example.org"}), CsrProblem::BadCsr);
    // A subject emailAddress outside the order.
    expectRefused(issue(csrWithSubjectEmail(*key, "mallory@example.org", "alice@example.org"), {"alice@example.org"}),
                  CsrProblem::BadCsr);
}

TEST_F(CertificateIssuerTest, AnOrderWithoutAddressesIsAnError) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto outcome = s_authority->issuer()->issue(request(csr(*key, {"alice@example.org"}), {}));
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(CertificateIssuerTest, SerialsDifferAcrossThreads) {
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    const base::Bytes der = csr(*key, {"alice@example.org"});
    std::mutex mutex;
    std::set<std::string> serials;
    int issued = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                auto outcome = s_authority->issuer()->issue(request(der, {"alice@example.org"}));
                const std::lock_guard lock(mutex);
                if (outcome && outcome->issued && test::signedBy(outcome->issued->leaf, s_authority->intermediate())) {
                    ++issued;
                    serials.insert(outcome->issued->leaf.serialHex());
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(issued, 40);
    EXPECT_EQ(serials.size(), 40U);
}

TEST_F(CertificateIssuerTest, LifetimeIsConfigurable) {
    auto issuer = CertificateIssuer::create({s_authority->mailSigner().key, s_authority->intermediate(), {}},
                                            s_authority->root(), {std::chrono::hours(24 * 7)});
    // The mail-signing key is not the intermediate's.
    ASSERT_FALSE(issuer);
    EXPECT_EQ(issuer.error().code, base::ErrorCode::InvalidArgument);

    auto loaded = Authority::load(s_dir->path() / "ca", "correct horse", {std::chrono::hours(24 * 7)});
    ASSERT_TRUE(loaded) << loaded.error().detail;
    auto key = crypto::generateKey(KeySpec::P256);
    ASSERT_TRUE(key);
    auto outcome = loaded->issuer()->issue(request(csr(*key, {"alice@example.org"}), {"alice@example.org"}));
    ASSERT_TRUE(outcome && outcome->issued);
    EXPECT_EQ(outcome->issued->leaf.notAfter(), kNow + std::chrono::hours(24 * 7));
    EXPECT_EQ(outcome->issued->leaf.notBefore(), kNow - 1h);

    auto zero = Authority::load(s_dir->path() / "ca", "correct horse", {std::chrono::seconds(0)});
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().code, base::ErrorCode::InvalidArgument);
}

} // namespace
} // namespace sealpost::ca
