// The SQLite store on its own: schema, reopening, and the atomic conditional changes.
#include "ca/acme/store/SqliteAcmeStore.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace sealpost::ca::acme {
namespace {

namespace fs = std::filesystem;

class SqliteAcmeStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("sealpost-acme-store-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::unique_ptr<SqliteAcmeStore> open() {
        auto store = SqliteAcmeStore::open(m_dir / "acme.sqlite");
        EXPECT_TRUE(store) << store.error().detail;
        return store ? std::move(*store) : nullptr;
    }
    static AccountRecord account(const std::string& id, const std::string& thumbprint) {
        return {id, "{}", thumbprint, AccountStatus::Valid, {"mailto:a@example.org", "mailto:b@example.org"}, true, 1};
    }

    fs::path m_dir;
};

TEST_F(SqliteAcmeStoreTest, CreatesSchemaAndKeepsDataAcrossReopen) {
    {
        auto store = open();
        ASSERT_TRUE(store);
        EXPECT_EQ(*store->schemaVersion(), SqliteAcmeStore::kSchemaVersion);
        EXPECT_TRUE(*store->insertAccount(account("a1", "t1")));
        EXPECT_FALSE(*store->insertAccount(account("a2", "t1")));
    }
    auto store = open();
    ASSERT_TRUE(store);
    auto found = store->findAccount("a1");
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->contact, (std::vector<std::string>{"mailto:a@example.org", "mailto:b@example.org"}));
    EXPECT_TRUE((*found)->termsAgreed);
    EXPECT_FALSE(store->findAccount("a2")->has_value());
}

TEST_F(SqliteAcmeStoreTest, RefusesInMemoryAndForeignFiles) {
    EXPECT_EQ(SqliteAcmeStore::open(":memory:").error().code, base::ErrorCode::InvalidArgument);
    const fs::path junk = m_dir / "junk.sqlite";
    std::ofstream(junk) << "this is not a database, not at all, and long enough to have a header ........";
    EXPECT_FALSE(SqliteAcmeStore::open(junk));
}

TEST_F(SqliteAcmeStoreTest, KeyChangeIsRefusedForAKeyInUse) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(*store->insertAccount(account("a1", "t1")));
    ASSERT_TRUE(*store->insertAccount(account("a2", "t2")));
    EXPECT_EQ(*store->changeAccountKey("a1", "{}", "t2"), KeyChangeOutcome::KeyInUse);
    EXPECT_EQ(*store->changeAccountKey("a1", "{\"new\":1}", "t3"), KeyChangeOutcome::Changed);
    EXPECT_EQ((*store->findAccountByThumbprint("t3"))->id, "a1");
    EXPECT_FALSE(store->findAccountByThumbprint("t1")->has_value());
}

TEST_F(SqliteAcmeStoreTest, OrdersCertificatesAndRevocation) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(*store->insertAccount(account("a1", "t1")));
    OrderRecord order{"o1", "a1", OrderStatus::Pending, {"x@example.org", "y@example.org"}, 100, 1000, {}, {}, {}};
    NewAuthorization authz{
        {"z1", "o1", "x@example.org", AuthzStatus::Pending, 500},
        {"c1", "z1", ChallengeStatus::Pending, "part1", "part2", "m@ca", 100, ReplyState::None, false, 0, {}}};
    ASSERT_EQ(*store->createOrder(order, {&authz, 1}, 100), CreateOrderOutcome::Created);
    EXPECT_EQ((*store->findOrder("o1"))->identifiers, order.identifiers);
    EXPECT_EQ((*store->findChallengeByTokenPart1("part1"))->id, "c1");
    EXPECT_EQ(store->orderTimesOfIdentifier("x@example.org", 0)->size(), 1U);
    EXPECT_TRUE(store->orderTimesOfIdentifier("x@example.org", 101)->empty());

    CertificateRecord cert;
    cert.id = "k1";
    cert.accountId = "a1";
    cert.orderId = "o1";
    cert.leafDer = {1, 2, 3};
    cert.chainDer = {{4, 5}, {6}};
    cert.certId = "aki.serial";
    cert.fingerprint = "ff";
    order.status = OrderStatus::Valid;
    order.certificateId = "k1";
    ASSERT_TRUE(store->storeCertificate(cert, order));
    auto found = store->findCertificateByCertId("aki.serial");
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->chainDer, cert.chainDer);
    EXPECT_FALSE((*found)->revokedAt);
    EXPECT_EQ((*store->findOrder("o1"))->status, OrderStatus::Valid);

    // A replacing order blocks a second one while it lives.
    OrderRecord renewal{"o2", "a1", OrderStatus::Pending, {"x@example.org"}, 200, 300, "aki.serial", {}, {}};
    ASSERT_EQ(*store->createOrder(renewal, {}, 200), CreateOrderOutcome::Created);
    renewal.id = "o3";
    EXPECT_EQ(*store->createOrder(renewal, {}, 250), CreateOrderOutcome::AlreadyReplaced);
    EXPECT_EQ(*store->createOrder(renewal, {}, 300), CreateOrderOutcome::Created); // o2 expired

    EXPECT_EQ(*store->revokeCertificate("k1", 4, 400), RevokeOutcome::Revoked);
    EXPECT_EQ(*store->revokeCertificate("k1", 4, 401), RevokeOutcome::AlreadyRevoked);
    EXPECT_EQ(*(*store->findCertificate("k1"))->revokedAt, 400);
}

} // namespace
} // namespace sealpost::ca::acme
