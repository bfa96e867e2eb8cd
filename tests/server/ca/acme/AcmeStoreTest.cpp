// The storage suite both AcmeStore back ends pass: schema, reopening, the transactions and the
// atomic conditional changes, also under concurrent callers. The SQLite instances always run;
// the PostgreSQL instances run against the server SEALPOST_TEST_POSTGRES_URL names (ctest's
// ca_acme_store_postgres starts a throwaway one) and skip without it.
#include "ca/acme/store/AcmeStore.h"

#include "ca/acme/store/PgAcmeStore.h"
#include "ca/acme/store/SqliteAcmeStore.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <random>
#include <sqlcipher/sqlite3.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sealpost::ca::acme {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

// Runs SQL on the test's PostgreSQL server directly (a schema per test, faking a newer schema).
bool pgExec(const std::string& url, const std::string& sql, std::string* error) {
    PGconn* conn = PQconnectdb(url.c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
        PGresult* result = PQexec(conn, sql.c_str());
        ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
        PQclear(result);
    }
    if (!ok && error != nullptr) {
        *error = PQerrorMessage(conn);
    }
    PQfinish(conn);
    return ok;
}

const char* postgresUrl() {
    const char* url = std::getenv("SEALPOST_TEST_POSTGRES_URL");
    return url != nullptr && *url != '\0' ? url : nullptr;
}

AccountRecord account(const std::string& id, const std::string& thumbprint) {
    return {id, "{}", thumbprint, AccountStatus::Valid, {"mailto:a@example.org", "mailto:b@example.org"}, true, 1};
}

OrderRecord order(const std::string& id, std::int64_t createdAt, const std::string& replaces = {}) {
    return {id, "a1", OrderStatus::Pending, {"x@example.org"}, createdAt, createdAt + 100, replaces, {}, {}};
}

NewAuthorization authorization(const std::string& n, const std::string& orderId, const std::string& identifier) {
    return {{"z" + n, orderId, identifier, AuthzStatus::Pending, 500},
            {"c" + n,
             "z" + n,
             ChallengeStatus::Pending,
             "part1-" + n,
             "part2-" + n,
             "m" + n + "@ca",
             100,
             ReplyState::None,
             false,
             0,
             {}}};
}

class AcmeStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
            std::replace(name.begin(), name.end(), '/', '-');
            m_dir = fs::temp_directory_path() / ("sealpost-acme-store-" + std::to_string(::getpid()) + "-" + name);
            fs::remove_all(m_dir);
            fs::create_directories(m_dir);
        } else {
            const char* base = postgresUrl();
            if (base == nullptr) {
                GTEST_SKIP() << "SEALPOST_TEST_POSTGRES_URL is not set; `ctest -R ca_acme_store_postgres` runs "
                                "these against a throwaway PostgreSQL";
            }
            m_pgBase = base;
            // A schema per test: every test starts empty, and the store must work in a schema
            // other than public (search_path from the URL).
            std::random_device random;
            m_schema = "acme_test_" + std::to_string(random()) + std::to_string(random());
            std::string error;
            ASSERT_TRUE(pgExec(m_pgBase, "CREATE SCHEMA " + m_schema, &error)) << error;
            m_url = m_pgBase + (m_pgBase.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
                    m_schema;
        }
        m_store = open();
        ASSERT_NE(m_store, nullptr);
        ASSERT_TRUE(*m_store->insertAccount(account("a1", "t1")));
    }

    void TearDown() override {
        m_store.reset();
        if (!m_schema.empty()) {
            std::string error;
            EXPECT_TRUE(pgExec(m_pgBase, "DROP SCHEMA " + m_schema + " CASCADE", &error)) << error;
        }
        if (!m_dir.empty()) {
            std::error_code ec;
            fs::remove_all(m_dir, ec);
        }
    }

    [[nodiscard]] bool isSqlite() const { return GetParam() == "sqlite"; }

    // A store on the test's database; another call is another instance (as another process).
    base::Result<std::unique_ptr<AcmeStore>> tryOpen() {
        if (isSqlite()) {
            auto store = SqliteAcmeStore::open(m_dir / "acme.sqlite");
            if (!store) {
                return store.error();
            }
            return std::unique_ptr<AcmeStore>(std::move(*store));
        }
        auto store = PgAcmeStore::open(m_url, 4);
        if (!store) {
            return store.error();
        }
        return std::unique_ptr<AcmeStore>(std::move(*store));
    }
    std::unique_ptr<AcmeStore> open() {
        auto store = tryOpen();
        EXPECT_TRUE(store) << store.error().detail;
        return store ? std::move(*store) : nullptr;
    }

    static std::int64_t schemaVersion(AcmeStore& store) {
        if (auto* sqlite = dynamic_cast<SqliteAcmeStore*>(&store)) {
            auto version = sqlite->schemaVersion();
            return version ? *version : -1;
        }
        if (auto* pg = dynamic_cast<PgAcmeStore*>(&store)) {
            auto version = pg->schemaVersion();
            return version ? *version : -1;
        }
        return -1;
    }

    // Runs `work(i)` for i in [0, threads) on as many threads, started together.
    template <typename Work> static void together(int threads, Work work) {
        std::atomic<int> waiting{threads};
        std::vector<std::thread> running;
        running.reserve(static_cast<std::size_t>(threads));
        for (int i = 0; i < threads; ++i) {
            running.emplace_back([&, i] {
                --waiting;
                while (waiting.load() > 0) {
                    std::this_thread::yield();
                }
                work(i);
            });
        }
        for (auto& thread : running) {
            thread.join();
        }
    }

    fs::path m_dir;
    std::string m_pgBase;
    std::string m_schema;
    std::string m_url;
    std::unique_ptr<AcmeStore> m_store;
};

TEST_P(AcmeStoreTest, CreatesSchemaAndKeepsDataAcrossReopen) {
    EXPECT_EQ(schemaVersion(*m_store), isSqlite() ? SqliteAcmeStore::kSchemaVersion : PgAcmeStore::kSchemaVersion);
    EXPECT_FALSE(*m_store->insertAccount(account("a2", "t1"))); // the thumbprint is taken
    EXPECT_FALSE(*m_store->insertAccount(account("a1", "t9"))); // the id is taken
    m_store.reset();
    auto store = open();
    ASSERT_TRUE(store);
    auto found = store->findAccount("a1");
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->contact, (std::vector<std::string>{"mailto:a@example.org", "mailto:b@example.org"}));
    EXPECT_TRUE((*found)->termsAgreed);
    EXPECT_EQ((*found)->thumbprint, "t1");
    EXPECT_FALSE(store->findAccount("a2")->has_value());
    EXPECT_FALSE(store->findAccountByThumbprint("t9")->has_value());
}

TEST_P(AcmeStoreTest, RefusesSchemaNewerThanItsOwn) {
    m_store.reset();
    if (isSqlite()) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((m_dir / "acme.sqlite").string().c_str(), &db), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    } else {
        std::string error;
        ASSERT_TRUE(pgExec(m_pgBase, "UPDATE " + m_schema + ".acme_schema SET version = 99", &error)) << error;
    }
    auto store = tryOpen();
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, ErrorCode::Unsupported) << store.error().detail;
}

TEST_P(AcmeStoreTest, AccountUpdatesWriteStatusAndContactButNotTheKey) {
    AccountRecord changed = account("a1", "t-ignored");
    changed.jwk = "{\"ignored\":1}";
    changed.status = AccountStatus::Deactivated;
    changed.contact = {"mailto:c@example.org"};
    ASSERT_TRUE(m_store->updateAccount(changed));
    auto found = *m_store->findAccount("a1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->status, AccountStatus::Deactivated);
    EXPECT_EQ(found->contact, std::vector<std::string>{"mailto:c@example.org"});
    EXPECT_EQ(found->jwk, "{}");
    EXPECT_EQ(found->thumbprint, "t1");
}

TEST_P(AcmeStoreTest, KeyChangeIsRefusedForAKeyInUse) {
    ASSERT_TRUE(*m_store->insertAccount(account("a2", "t2")));
    EXPECT_EQ(*m_store->changeAccountKey("a1", "{}", "t2"), KeyChangeOutcome::KeyInUse);
    EXPECT_EQ(*m_store->changeAccountKey("a1", "{\"new\":1}", "t3"), KeyChangeOutcome::Changed);
    EXPECT_EQ((*m_store->findAccountByThumbprint("t3"))->id, "a1");
    EXPECT_EQ((*m_store->findAccountByThumbprint("t3"))->jwk, "{\"new\":1}");
    EXPECT_FALSE(m_store->findAccountByThumbprint("t1")->has_value());
    EXPECT_EQ((*m_store->findAccountByThumbprint("t2"))->id, "a2");
}

TEST_P(AcmeStoreTest, ConcurrentKeyChangesToOneKeyLetExactlyOneThrough) {
    constexpr int kAccounts = 6;
    for (int i = 2; i <= kAccounts; ++i) {
        ASSERT_TRUE(*m_store->insertAccount(account("a" + std::to_string(i), "t" + std::to_string(i))));
    }
    std::atomic<int> changed{0};
    std::atomic<int> failures{0};
    together(kAccounts, [&](int i) {
        auto outcome = m_store->changeAccountKey("a" + std::to_string(i + 1), "{}", "shared");
        if (!outcome) {
            ++failures;
        } else if (*outcome == KeyChangeOutcome::Changed) {
            ++changed;
        }
    });
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(changed.load(), 1);
    EXPECT_TRUE(m_store->findAccountByThumbprint("shared")->has_value());
}

TEST_P(AcmeStoreTest, OrdersCertificatesAndRevocation) {
    OrderRecord first{"o1", "a1", OrderStatus::Pending, {"x@example.org", "y@example.org"}, 100, 1000, {}, {}, {}};
    const NewAuthorization authz = authorization("1", "o1", "x@example.org");
    ASSERT_EQ(*m_store->createOrder(first, {&authz, 1}, 100), CreateOrderOutcome::Created);
    EXPECT_EQ((*m_store->findOrder("o1"))->identifiers, first.identifiers);
    EXPECT_EQ((*m_store->findChallengeByTokenPart1("part1-1"))->id, "c1");
    EXPECT_EQ(m_store->orderTimesOfIdentifier("x@example.org", 0)->size(), 1U);
    EXPECT_TRUE(m_store->orderTimesOfIdentifier("x@example.org", 101)->empty());

    CertificateRecord cert;
    cert.id = "k1";
    cert.accountId = "a1";
    cert.orderId = "o1";
    cert.leafDer = {1, 0, 0xff};
    cert.chainDer = {{4, 5}, {}, {6}};
    cert.serialHex = "0a";
    cert.certId = "aki.serial";
    cert.fingerprint = "ff";
    cert.notBefore = 10;
    cert.notAfter = 20;
    cert.issuedAt = 11;
    first.status = OrderStatus::Valid;
    first.certificateId = "k1";
    ASSERT_TRUE(m_store->storeCertificate(cert, first));
    auto found = *m_store->findCertificateByCertId("aki.serial");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->leafDer, cert.leafDer);
    EXPECT_EQ(found->chainDer, cert.chainDer);
    EXPECT_EQ(found->serialHex, "0a");
    EXPECT_EQ(found->notBefore, 10);
    EXPECT_EQ(found->notAfter, 20);
    EXPECT_EQ(found->issuedAt, 11);
    EXPECT_FALSE(found->revokedAt);
    EXPECT_EQ((*m_store->findCertificateByFingerprint("ff"))->id, "k1");
    EXPECT_EQ((*m_store->findOrder("o1"))->status, OrderStatus::Valid);
    EXPECT_EQ((*m_store->findOrder("o1"))->certificateId, "k1");

    // A replacing order blocks a second one while it lives.
    OrderRecord renewal{"o2", "a1", OrderStatus::Pending, {"x@example.org"}, 200, 300, "aki.serial", {}, {}};
    ASSERT_EQ(*m_store->createOrder(renewal, {}, 200), CreateOrderOutcome::Created);
    EXPECT_TRUE(*m_store->hasLiveReplacement("aki.serial", 250));
    renewal.id = "o3";
    EXPECT_EQ(*m_store->createOrder(renewal, {}, 250), CreateOrderOutcome::AlreadyReplaced);
    EXPECT_FALSE(m_store->findOrder("o3")->has_value());
    EXPECT_FALSE(*m_store->hasLiveReplacement("aki.serial", 300)); // o2 expired
    EXPECT_EQ(*m_store->createOrder(renewal, {}, 300), CreateOrderOutcome::Created);

    // Its certificate marks the replaced one.
    CertificateRecord next = cert;
    next.id = "k2";
    next.orderId = "o3";
    next.certId = "aki.serial2";
    next.fingerprint = "ee";
    next.revokedAt = 5;
    renewal.status = OrderStatus::Valid;
    renewal.certificateId = "k2";
    ASSERT_TRUE(m_store->storeCertificate(next, renewal));
    EXPECT_EQ((*m_store->findCertificate("k1"))->replacedBy, "o3");
    EXPECT_EQ(*(*m_store->findCertificate("k2"))->revokedAt, 5);

    EXPECT_EQ(*m_store->revokeCertificate("k1", 4, 400), RevokeOutcome::Revoked);
    EXPECT_EQ(*m_store->revokeCertificate("k1", 1, 401), RevokeOutcome::AlreadyRevoked);
    const auto revoked = *m_store->findCertificate("k1");
    EXPECT_EQ(*revoked->revokedAt, 400);
    EXPECT_EQ(revoked->revocationReason, 4);
    EXPECT_FALSE(m_store->findCertificate("k9")->has_value());
}

TEST_P(AcmeStoreTest, AFailedOrderLeavesNothingBehind) {
    const std::vector<NewAuthorization> authzs = {authorization("1", "o1", "x@example.org"),
                                                  authorization("1", "o1", "y@example.org")}; // same ids twice
    EXPECT_FALSE(m_store->createOrder(order("o1", 100), authzs, 100));
    EXPECT_FALSE(m_store->findOrder("o1")->has_value());
    EXPECT_FALSE(m_store->findAuthz("z1")->has_value());
    EXPECT_TRUE(m_store->orderIdsOfAccount("a1")->empty());
    // The store stays usable after the rollback.
    EXPECT_EQ(*m_store->createOrder(order("o1", 100), {authzs.data(), 1}, 100), CreateOrderOutcome::Created);
}

TEST_P(AcmeStoreTest, ListsKeepInsertionOrderAndTimesCountPerAccountAndAddress) {
    const std::vector<NewAuthorization> authzs = {authorization("3", "o1", "c@example.org"),
                                                  authorization("1", "o1", "a@example.org"),
                                                  authorization("2", "o1", "b@example.org")};
    ASSERT_EQ(*m_store->createOrder(order("o1", 100), authzs, 100), CreateOrderOutcome::Created);
    // Same creation time: insertion order decides.
    const NewAuthorization later = authorization("4", "o0", "A@Example.org");
    ASSERT_EQ(*m_store->createOrder(order("o0", 100), {&later, 1}, 100), CreateOrderOutcome::Created);
    ASSERT_EQ(*m_store->createOrder(order("o9", 50), {}, 100), CreateOrderOutcome::Created);

    EXPECT_EQ(*m_store->orderIdsOfAccount("a1"), (std::vector<std::string>{"o9", "o1", "o0"}));
    const auto authzsOfOrder = m_store->authzsOfOrder("o1");
    ASSERT_TRUE(authzsOfOrder);
    std::vector<std::string> ids;
    for (const auto& a : *authzsOfOrder) {
        ids.push_back(a.id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"z3", "z1", "z2"}));
    EXPECT_EQ(*m_store->orderTimesOfAccount("a1", 60), (std::vector<std::int64_t>{100, 100}));
    EXPECT_TRUE(m_store->orderTimesOfAccount("a2", 0)->empty());
    // ASCII case folding only, as one mailbox is spelt several ways; non-ASCII letters stay apart.
    EXPECT_EQ(*m_store->orderTimesOfIdentifier("a@EXAMPLE.ORG", 0), (std::vector<std::int64_t>{100, 100}));
    const NewAuthorization accented = authorization("5", "o5", "\xc3\xa9@example.org"); // é
    ASSERT_EQ(*m_store->createOrder(order("o5", 120), {&accented, 1}, 120), CreateOrderOutcome::Created);
    EXPECT_EQ(m_store->orderTimesOfIdentifier("\xc3\xa9@example.org", 0)->size(), 1U);
    EXPECT_TRUE(m_store->orderTimesOfIdentifier("\xc3\x89@example.org", 0)->empty()); // É
}

TEST_P(AcmeStoreTest, ValidationAndAuthzChangesAreSavedTogether) {
    const NewAuthorization authz = authorization("1", "o1", "x@example.org");
    ASSERT_EQ(*m_store->createOrder(order("o1", 100), {&authz, 1}, 100), CreateOrderOutcome::Created);
    ChallengeRecord challenge = *(*m_store->findChallengeOfAuthz("z1"));
    AuthzRecord authzRecord = *(*m_store->findAuthz("z1"));
    OrderRecord orderRecord = *(*m_store->findOrder("o1"));
    challenge.status = ChallengeStatus::Invalid;
    challenge.reply = ReplyState::Unauthorized;
    challenge.clientReady = true;
    challenge.validatedAt = 150;
    challenge.errorJson = R"({"type":"unauthorized"})";
    authzRecord.status = AuthzStatus::Invalid;
    orderRecord.status = OrderStatus::Invalid;
    orderRecord.errorJson = R"({"type":"order"})";
    ASSERT_TRUE(m_store->saveValidation(challenge, authzRecord, orderRecord));
    const auto saved = *(*m_store->findChallenge("c1"));
    EXPECT_EQ(saved.status, ChallengeStatus::Invalid);
    EXPECT_EQ(saved.reply, ReplyState::Unauthorized);
    EXPECT_TRUE(saved.clientReady);
    EXPECT_EQ(saved.validatedAt, 150);
    EXPECT_EQ(saved.errorJson, challenge.errorJson);
    EXPECT_EQ(saved.tokenPart2, "part2-1");
    EXPECT_EQ(saved.messageId, "m1@ca");
    EXPECT_EQ((*m_store->findAuthz("z1"))->status, AuthzStatus::Invalid);
    EXPECT_EQ((*m_store->findOrder("o1"))->errorJson, orderRecord.errorJson);

    authzRecord.status = AuthzStatus::Deactivated;
    orderRecord.status = OrderStatus::Ready;
    ASSERT_TRUE(m_store->saveAuthz(authzRecord, orderRecord));
    EXPECT_EQ((*m_store->findAuthz("z1"))->status, AuthzStatus::Deactivated);
    EXPECT_EQ((*m_store->findOrder("o1"))->status, OrderStatus::Ready);
    orderRecord.status = OrderStatus::Processing;
    ASSERT_TRUE(m_store->updateOrder(orderRecord));
    EXPECT_EQ((*m_store->findOrder("o1"))->status, OrderStatus::Processing);
}

TEST_P(AcmeStoreTest, ConcurrentReplacingOrdersFromTwoInstancesLetExactlyOneThrough) {
    auto other = open(); // as a second process on the same database
    ASSERT_NE(other, nullptr);
    constexpr int kThreads = 8;
    constexpr int kRounds = 25; // the race is narrow: many tries, each on a certificate of its own
    for (int round = 0; round < kRounds; ++round) {
        const std::string replaces = "aki.serial" + std::to_string(round);
        std::atomic<int> created{0};
        std::atomic<int> failures{0};
        together(kThreads, [&](int i) {
            AcmeStore& store = i % 2 == 0 ? *m_store : *other;
            const std::string n = std::to_string(round) + "-" + std::to_string(i);
            const NewAuthorization authz = authorization(n, "o" + n, "x@example.org");
            auto outcome = store.createOrder(order("o" + n, 100, replaces), {&authz, 1}, 100);
            if (!outcome) {
                ++failures;
            } else if (*outcome == CreateOrderOutcome::Created) {
                ++created;
            }
        });
        ASSERT_EQ(failures.load(), 0) << round;
        ASSERT_EQ(created.load(), 1) << round;
    }
    EXPECT_EQ(m_store->orderIdsOfAccount("a1")->size(), static_cast<std::size_t>(kRounds));
}

TEST_P(AcmeStoreTest, ReconnectsWhenTheServerDropsItsConnections) {
    if (isSqlite()) {
        GTEST_SKIP() << "only a database server drops connections";
    }
    // What a server restart or an idle-connection timeout does to every pooled connection.
    std::string error;
    ASSERT_TRUE(pgExec(m_pgBase,
                       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = 'sealpost-ca' AND pid <> pg_backend_pid()",
                       &error))
        << error;
    for (int round = 0; round < 6; ++round) { // more rounds than connections in the pool
        auto found = m_store->findAccount("a1");
        ASSERT_TRUE(found) << round << ": " << found.error().detail;
        EXPECT_TRUE(found->has_value());
    }
    ASSERT_TRUE(pgExec(m_pgBase,
                       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = 'sealpost-ca' AND pid <> pg_backend_pid()",
                       &error))
        << error;
    for (int round = 0; round < 6; ++round) { // changes: their transaction's BEGIN reconnects
        auto inserted = m_store->insertAccount(account("b" + std::to_string(round), "u" + std::to_string(round)));
        ASSERT_TRUE(inserted) << round << ": " << inserted.error().detail;
        EXPECT_TRUE(*inserted);
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, AcmeStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST(SqliteAcmeStoreTest, RefusesInMemoryAndForeignFiles) {
    EXPECT_EQ(SqliteAcmeStore::open(":memory:").error().code, ErrorCode::InvalidArgument);
    const fs::path dir = fs::temp_directory_path() / ("sealpost-acme-junk-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path junk = dir / "junk.sqlite";
    std::ofstream(junk) << "this is not a database, not at all, and long enough to have a header ........";
    EXPECT_FALSE(SqliteAcmeStore::open(junk));
    fs::remove_all(dir);
}

TEST(PgAcmeStoreTest, OpeningErrorsNeverShowThePassword) {
    EXPECT_EQ(PgAcmeStore::open("postgresql://u:pw@127.0.0.1/db", 0).error().code, ErrorCode::InvalidArgument);
    // Port 1 on the loopback: refused at once.
    auto refused = PgAcmeStore::open("postgresql://u:sekr1t@127.0.0.1:1/db?connect_timeout=2", 1);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Unreachable) << refused.error().detail;
    EXPECT_EQ(refused.error().detail.find("sekr1t"), std::string::npos) << refused.error().detail;
}

} // namespace
} // namespace sealpost::ca::acme
