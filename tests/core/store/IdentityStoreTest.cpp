#include "store/IdentityStore.h"

#include "StoreTestSupport.h"
#include "TestCertificates.h"
#include "crypto/Pkcs12.h"

#include <algorithm>
#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;

namespace {

std::string dataFile(const char* name) {
    return test::readFile(std::filesystem::path(SEALPOST_TEST_DATA_DIR) / name);
}

crypto::Identity identityOf(const char* who) {
    const std::string dir = SEALPOST_TEST_DATA_DIR;
    auto key = crypto::PrivateKey::parse(base::asBytes(dataFile((std::string(who) + ".key.pem").c_str())));
    auto cert = crypto::Certificate::parseAll(base::asBytes(dataFile((std::string(who) + ".cert.pem").c_str())));
    auto chain = crypto::Certificate::parseAll(base::asBytes(dataFile("chain.pem")));
    EXPECT_TRUE(key.ok() && cert.ok() && chain.ok());
    return crypto::Identity{*key, cert->front(), *chain};
}

class IdentityStoreTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    std::filesystem::path m_file = m_dir.path() / "profile.db";
    base::FixedClock m_clock{std::chrono::system_clock::from_time_t(1780272000)};
};

} // namespace

TEST_F(IdentityStoreTest, RoundTripsKeyCertificateAndChain) {
    const auto alice = identityOf("alice");
    {
        Database db = test::openOrFail(m_file, "pass");
        auto id = IdentityStore(db, m_clock).add(alice, IdentityRole::Both);
        ASSERT_TRUE(id.ok()) << id.error().detail;
    }
    Database db = test::openOrFail(m_file, "pass", OpenMode::MustExist);
    auto all = IdentityStore(db, m_clock).forAddress("Alice@Example.org");
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 1U);
    const auto& stored = all->front();
    EXPECT_EQ(stored.address, "alice@example.org");
    EXPECT_EQ(stored.state, IdentityState::Current);
    EXPECT_TRUE(stored.identity.certificate == alice.certificate);
    ASSERT_EQ(stored.identity.chain.size(), 1U);
    EXPECT_TRUE(stored.identity.chain.front() == alice.chain.front());
    EXPECT_TRUE(crypto::checkKeyMatchesCertificate(stored.identity.key, alice.certificate).ok());
    EXPECT_EQ(stored.createdAt, m_clock.now());
}

TEST_F(IdentityStoreTest, ImportingTwiceChangesNothing) {
    Database db = test::openOrFail(m_file, "pass");
    IdentityStore store(db, m_clock);
    auto first = store.add(identityOf("alice"), IdentityRole::Both);
    auto second = store.add(identityOf("alice"), IdentityRole::Both);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(*first, *second);
    EXPECT_EQ(store.list()->size(), 1U);
}

// A renewed certificate for the same address with a new key: the made-up certificate stands in
// for what the CA would issue.
crypto::Identity renewedAlice(base::TimePoint now) {
    test::TestKey key = test::makeKey(true);
    test::CertSpec spec;
    spec.address = "alice@example.org";
    spec.key = key;
    spec.notBefore = now - std::chrono::hours(1);
    spec.notAfter = now + std::chrono::hours(24 * 90);
    spec.keyUsage = "digitalSignature,keyEncipherment";
    spec.eku = "emailProtection";
    EVP_PKEY_up_ref(key.get());
    return crypto::Identity{crypto::PrivateKey::adopt(key.get()), test::makeCert(spec), {}};
}

TEST_F(IdentityStoreTest, NewGenerationRetiresTheOldOneAndKeepsIt) {
    Database db = test::openOrFail(m_file, "pass");
    IdentityStore store(db, m_clock);
    ASSERT_TRUE(store.add(identityOf("alice"), IdentityRole::Both).ok());
    const auto renewed = renewedAlice(m_clock.now());
    ASSERT_TRUE(store.add(renewed, IdentityRole::Both).ok());
    auto all = store.forAddress("alice@example.org");
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2U); // the old key stays, for old mail
    EXPECT_EQ(all->front().state, IdentityState::Current);
    EXPECT_TRUE(all->front().identity.certificate == renewed.certificate);
    EXPECT_EQ(all->back().state, IdentityState::Retired);
    EXPECT_TRUE(all->back().identity.certificate == identityOf("alice").certificate);
}

TEST_F(IdentityStoreTest, SigningOnlyIdentityLeavesTheEncryptionOneCurrent) {
    Database db = test::openOrFail(m_file, "pass");
    IdentityStore store(db, m_clock);
    ASSERT_TRUE(store.add(identityOf("alice"), IdentityRole::Encryption).ok());
    ASSERT_TRUE(store.add(renewedAlice(m_clock.now()), IdentityRole::Signing).ok());
    auto all = store.forAddress("alice@example.org");
    ASSERT_EQ(all->size(), 2U);
    EXPECT_TRUE(std::all_of(all->begin(), all->end(), [](const auto& i) { return i.state == IdentityState::Current; }));
}

TEST_F(IdentityStoreTest, RefusesAKeyThatIsNotTheCertificates) {
    Database db = test::openOrFail(m_file, "pass");
    auto alice = identityOf("alice");
    alice.key = identityOf("carol").key;
    auto id = IdentityStore(db, m_clock).add(alice, IdentityRole::Both);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().code, base::ErrorCode::InvalidArgument);
}

TEST_F(IdentityStoreTest, PrivateKeyNeverReachesTheDiskInTheClear) {
    const auto alice = identityOf("alice");
    auto pkcs8 = alice.key.pkcs8Der();
    ASSERT_TRUE(pkcs8.ok());
    {
        Database db = test::openOrFail(m_file, "pass");
        ASSERT_TRUE(IdentityStore(db, m_clock).add(alice, IdentityRole::Both).ok());
    }
    const std::string needle(reinterpret_cast<const char*>(pkcs8->data()) + pkcs8->size() / 2, 32);
    for (const auto& entry : std::filesystem::directory_iterator(m_dir.path())) {
        EXPECT_EQ(test::readFile(entry.path()).find(needle), std::string::npos) << entry.path();
    }
}

TEST_F(IdentityStoreTest, FindsByFingerprintPrefix) {
    Database db = test::openOrFail(m_file, "pass");
    IdentityStore store(db, m_clock);
    const auto alice = identityOf("alice");
    const auto carol = identityOf("carol");
    ASSERT_TRUE(store.add(alice, IdentityRole::Both).ok());
    ASSERT_TRUE(store.add(carol, IdentityRole::Both).ok());
    const std::string fp = alice.certificate.sha256Fingerprint();
    for (const std::string& prefix : {fp, fp.substr(0, 8)}) {
        std::string upper = prefix;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        auto found = store.withFingerprintPrefix(upper);
        ASSERT_TRUE(found.ok()) << found.error().detail;
        ASSERT_EQ(found->size(), 1U);
        EXPECT_TRUE(found->front().identity.certificate == alice.certificate);
        EXPECT_TRUE(crypto::checkKeyMatchesCertificate(found->front().identity.key, alice.certificate).ok());
        EXPECT_EQ(found->front().identity.chain.size(), 1U);
    }
    auto none = store.withFingerprintPrefix(std::string(64, '0'));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    auto bad = store.withFingerprintPrefix("not-hex");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, base::ErrorCode::InvalidArgument);
}
