// The storage suite every CertStore back end passes. The SQLite instances always run; the
// PostgreSQL instances run against the server SEALPOST_TEST_POSTGRES_URL names (ctest's
// keydir_store_postgres starts a throwaway one with postgres.sh) and skip without it.

#include "keydir/store/CertStore.h"

#include "db/DatabaseUrl.h"
#include "keydir/store/PgCertStore.h"
#include "keydir/store/SqliteCertStore.h"

#include <atomic>
#include <chrono>
#include <cstdio>
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

namespace sealpost::keydir {
namespace {

namespace fs = std::filesystem;
using base::ErrorCode;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kDay = 86'400;

// 64 lower-case hex digits: `tag` (one hex digit) tells fingerprints from address hashes apart.
std::string hex64(char tag, std::uint64_t n) {
    char tail[17];
    (void)std::snprintf(tail, sizeof tail, "%016llx", static_cast<unsigned long long>(n));
    return std::string(1, tag) + std::string(47, '0') + tail;
}
std::string addressHash(std::uint64_t n) {
    return hex64('a', n);
}

// Arbitrary bytes (the store never parses them), NUL and 0xff included, and an empty chain entry.
StoredCert makeCert(std::uint64_t n, std::int64_t notBefore = kNow - kDay, std::int64_t notAfter = kNow + 90 * kDay) {
    StoredCert cert;
    cert.fingerprint = hex64('f', n);
    const std::string leaf = "leaf-" + std::to_string(n);
    cert.leafDer.assign(leaf.begin(), leaf.end());
    cert.leafDer.push_back(0x00);
    cert.leafDer.push_back(0xff);
    cert.chainDer = {base::Bytes{0x30, 0x00, static_cast<std::uint8_t>(n & 0xff)}, base::Bytes{},
                     base::Bytes(300, 0x5a)};
    cert.notBefore = notBefore;
    cert.notAfter = notAfter;
    cert.provenance = "harvested";
    return cert;
}

void expectSameCert(const StoredCert& actual, const StoredCert& expected, std::int64_t firstPublished) {
    EXPECT_EQ(actual.fingerprint, expected.fingerprint);
    EXPECT_EQ(actual.leafDer, expected.leafDer);
    EXPECT_EQ(actual.chainDer, expected.chainDer);
    EXPECT_EQ(actual.notBefore, expected.notBefore);
    EXPECT_EQ(actual.notAfter, expected.notAfter);
    EXPECT_EQ(actual.provenance, expected.provenance);
    EXPECT_EQ(actual.firstPublished, firstPublished);
}

std::vector<std::string> fingerprints(const std::vector<StoredCert>& certs) {
    std::vector<std::string> out;
    out.reserve(certs.size());
    for (const auto& cert : certs) {
        out.push_back(cert.fingerprint);
    }
    return out;
}

fs::path makeTempDir() {
    std::string pattern = (fs::temp_directory_path() / "keydir-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return pattern;
}

// Runs SQL on the test's PostgreSQL server directly (to make and drop a schema per test).
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

class CertStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            m_dir = makeTempDir();
            m_url = "sqlite:" + (m_dir / "keydir.db").string();
        } else {
            const char* base = postgresUrl();
            if (base == nullptr) {
                GTEST_SKIP() << "SEALPOST_TEST_POSTGRES_URL is not set; `ctest -R keydir_store_postgres` runs "
                                "these against a throwaway PostgreSQL";
            }
            m_pgBase = base;
            // A schema per test: every test starts empty, and the store must work in a schema
            // other than public (search_path from the URL).
            std::random_device random;
            m_schema = "keydir_test_" + std::to_string(random()) + std::to_string(random());
            std::string error;
            ASSERT_TRUE(pgExec(m_pgBase, "CREATE SCHEMA " + m_schema, &error)) << error;
            m_url = m_pgBase + (m_pgBase.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
                    m_schema;
        }
        m_store = openStore();
        ASSERT_NE(m_store, nullptr);
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

    std::unique_ptr<CertStore> openStore(int poolSize = 4) {
        auto store = openCertStore(m_url, poolSize);
        EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().detail);
        return store.ok() ? std::move(*store) : nullptr;
    }

    std::int64_t schemaVersion(CertStore& store) {
        if (auto* sqlite = dynamic_cast<SqliteCertStore*>(&store)) {
            auto version = sqlite->schemaVersion();
            return version.ok() ? *version : -1;
        }
        if (auto* pg = dynamic_cast<PgCertStore*>(&store)) {
            auto version = pg->schemaVersion();
            return version.ok() ? *version : -1;
        }
        return -1;
    }

    PutOutcome put(const std::vector<std::string>& hashes, const StoredCert& cert, std::int64_t now = kNow) {
        auto outcome = m_store->put(hashes, cert, now);
        EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().detail);
        return outcome.ok() ? *outcome : PutOutcome::Unchanged;
    }

    std::vector<StoredCert> find(const std::string& hash, std::int64_t now = kNow) {
        auto found = m_store->find(hash, now);
        EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().detail);
        return found.ok() ? *found : std::vector<StoredCert>{};
    }

    std::int64_t count() {
        auto counted = m_store->countCertificates();
        EXPECT_TRUE(counted.ok()) << (counted.ok() ? "" : counted.error().detail);
        return counted.ok() ? *counted : -1;
    }

    fs::path m_dir;
    std::string m_pgBase;
    std::string m_schema;
    std::string m_url;
    std::unique_ptr<CertStore> m_store;
};

TEST_P(CertStoreTest, PutThenFindRoundTripsEveryField) {
    StoredCert cert = makeCert(1);
    cert.provenance = "enrolled";
    cert.firstPublished = 42; // ignored by put()
    EXPECT_EQ(put({addressHash(1)}, cert), PutOutcome::Inserted);
    const auto found = find(addressHash(1));
    ASSERT_EQ(found.size(), 1U);
    expectSameCert(found[0], cert, kNow);
    EXPECT_TRUE(find(addressHash(2)).empty());
}

TEST_P(CertStoreTest, EmptyChainRoundTrips) {
    StoredCert cert = makeCert(1);
    cert.chainDer.clear();
    EXPECT_EQ(put({addressHash(1)}, cert), PutOutcome::Inserted);
    const auto found = find(addressHash(1));
    ASSERT_EQ(found.size(), 1U);
    EXPECT_TRUE(found[0].chainDer.empty());
}

TEST_P(CertStoreTest, RepeatedPutChangesNothing) {
    const StoredCert cert = makeCert(1);
    EXPECT_EQ(put({addressHash(1)}, cert, kNow), PutOutcome::Inserted);
    StoredCert again = cert;
    again.provenance = "self"; // same fingerprint: the first submission's record stays
    EXPECT_EQ(put({addressHash(1)}, again, kNow + 500), PutOutcome::Unchanged);
    const auto found = find(addressHash(1));
    ASSERT_EQ(found.size(), 1U);
    expectSameCert(found[0], cert, kNow);
    EXPECT_EQ(count(), 1);
}

TEST_P(CertStoreTest, OneCertificateUnderSeveralHashes) {
    const StoredCert cert = makeCert(1);
    EXPECT_EQ(put({addressHash(1), addressHash(2), addressHash(2)}, cert), PutOutcome::Inserted);
    for (const auto& hash : {addressHash(1), addressHash(2)}) {
        const auto found = find(hash);
        ASSERT_EQ(found.size(), 1U) << hash;
        expectSameCert(found[0], cert, kNow);
    }
    EXPECT_EQ(count(), 1);
}

TEST_P(CertStoreTest, NewHashForKnownCertificateIsInserted) {
    const StoredCert cert = makeCert(1);
    EXPECT_EQ(put({addressHash(1)}, cert, kNow), PutOutcome::Inserted);
    EXPECT_EQ(put({addressHash(1), addressHash(2)}, cert, kNow + 60), PutOutcome::Inserted);
    EXPECT_EQ(put({addressHash(2), addressHash(1)}, cert, kNow + 120), PutOutcome::Unchanged);
    const auto found = find(addressHash(2), kNow + 200);
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0].firstPublished, kNow); // the certificate's, not the new filing's
    EXPECT_EQ(count(), 1);
}

TEST_P(CertStoreTest, LatestNotBeforeFirstThenFingerprint) {
    const std::string hash = addressHash(1);
    // Inserted in an order that matches neither the preference nor the fingerprints.
    EXPECT_EQ(put({hash}, makeCert(3, kNow - 100)), PutOutcome::Inserted);
    EXPECT_EQ(put({hash}, makeCert(9, kNow - 300)), PutOutcome::Inserted);
    EXPECT_EQ(put({hash}, makeCert(2, kNow - 100)), PutOutcome::Inserted);
    EXPECT_EQ(put({hash}, makeCert(5, kNow - 50)), PutOutcome::Inserted);
    EXPECT_EQ(fingerprints(find(hash)),
              (std::vector<std::string>{hex64('f', 5), hex64('f', 2), hex64('f', 3), hex64('f', 9)}));
}

TEST_P(CertStoreTest, OnlyCurrentCertificatesAreFound) {
    const std::string hash = addressHash(1);
    put({hash}, makeCert(1, kNow - 10 * kDay, kNow));        // expired exactly now
    put({hash}, makeCert(2, kNow + 1, kNow + 10 * kDay));    // valid from the next second
    put({hash}, makeCert(3, kNow, kNow + 1));                // valid for exactly this second
    put({hash}, makeCert(4, kNow - 10 * kDay, kNow - kDay)); // long expired
    EXPECT_EQ(fingerprints(find(hash, kNow)), (std::vector<std::string>{hex64('f', 3)}));
    EXPECT_EQ(fingerprints(find(hash, kNow + 1)), (std::vector<std::string>{hex64('f', 2)}));
    EXPECT_EQ(fingerprints(find(hash, kNow - 1)), (std::vector<std::string>{hex64('f', 1)}));
    EXPECT_TRUE(find(hash, kNow + 20 * kDay).empty());
    EXPECT_EQ(count(), 4); // expired ones are kept, only not returned
}

TEST_P(CertStoreTest, FindManyAnswersInRequestOrder) {
    put({addressHash(1)}, makeCert(1));
    put({addressHash(2)}, makeCert(2, kNow - 2 * kDay));
    put({addressHash(2)}, makeCert(3, kNow - kDay));
    put({addressHash(3)}, makeCert(4, kNow - 10 * kDay, kNow - kDay)); // expired only
    const std::vector<std::string> hashes = {addressHash(2), addressHash(9), addressHash(1), addressHash(3),
                                             addressHash(2)};
    auto answers = m_store->findMany(hashes, kNow);
    ASSERT_TRUE(answers.ok()) << answers.error().detail;
    ASSERT_EQ(answers->size(), hashes.size());
    const std::vector<std::string> two = {hex64('f', 3), hex64('f', 2)};
    EXPECT_EQ(fingerprints((*answers)[0]), two);
    EXPECT_TRUE((*answers)[1].empty());
    EXPECT_EQ(fingerprints((*answers)[2]), (std::vector<std::string>{hex64('f', 1)}));
    EXPECT_TRUE((*answers)[3].empty());
    EXPECT_EQ(fingerprints((*answers)[4]), two);
    ASSERT_EQ((*answers)[2].size(), 1U);
    expectSameCert((*answers)[2][0], makeCert(1), kNow);

    auto none = m_store->findMany({}, kNow);
    ASSERT_TRUE(none.ok()) << none.error().detail;
    EXPECT_TRUE(none->empty());
}

TEST_P(CertStoreTest, PutManyCountsAsPutWould) {
    std::vector<CertStore::BulkEntry> entries;
    for (std::uint64_t i = 0; i < 50; ++i) {
        entries.push_back({{addressHash(i)}, makeCert(i)});
    }
    entries.push_back({{addressHash(7)}, makeCert(7)});                    // a repeat: Unchanged
    entries.push_back({{addressHash(7), addressHash(1000)}, makeCert(7)}); // a new hash: Inserted
    StoredCert variant = makeCert(8);
    variant.provenance = "self"; // same fingerprint, other provenance: the first one stays
    entries.push_back({{addressHash(8)}, variant});
    auto loaded = m_store->putMany(entries, kNow + 5);
    ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
    EXPECT_EQ(*loaded, 51);
    EXPECT_EQ(count(), 50);
    const auto found = find(addressHash(1000), kNow + 5);
    ASSERT_EQ(found.size(), 1U);
    expectSameCert(found[0], makeCert(7), kNow + 5);
    const auto eight = find(addressHash(8));
    ASSERT_EQ(eight.size(), 1U);
    EXPECT_EQ(eight[0].provenance, "harvested");

    auto again = m_store->putMany(entries, kNow + 10);
    ASSERT_TRUE(again.ok()) << again.error().detail;
    EXPECT_EQ(*again, 0);
    EXPECT_EQ(put({addressHash(3)}, makeCert(3)), PutOutcome::Unchanged);

    auto empty = m_store->putMany({}, kNow);
    ASSERT_TRUE(empty.ok()) << empty.error().detail;
    EXPECT_EQ(*empty, 0);
}

TEST_P(CertStoreTest, PutManyAcrossSeveralTransactions) {
    constexpr std::uint64_t kCount = 25'000; // more than one batch of either back end
    std::vector<CertStore::BulkEntry> entries;
    entries.reserve(kCount);
    for (std::uint64_t i = 0; i < kCount; ++i) {
        entries.push_back({{addressHash(i), addressHash(i + kCount)}, makeCert(i)});
    }
    auto loaded = m_store->putMany(entries, kNow);
    ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
    EXPECT_EQ(*loaded, static_cast<std::int64_t>(kCount));
    EXPECT_EQ(count(), static_cast<std::int64_t>(kCount));
    for (const std::uint64_t i : {std::uint64_t{0}, std::uint64_t{9'999}, std::uint64_t{10'000}, kCount - 1}) {
        EXPECT_EQ(fingerprints(find(addressHash(i + kCount))), (std::vector<std::string>{hex64('f', i)}));
    }
}

TEST_P(CertStoreTest, CountsAndPings) {
    EXPECT_EQ(count(), 0);
    EXPECT_TRUE(m_store->ping().ok());
    put({addressHash(1)}, makeCert(1));
    put({addressHash(1), addressHash(2)}, makeCert(2));
    EXPECT_EQ(count(), 2);
}

TEST_P(CertStoreTest, RefusesMalformedKeys) {
    auto noHash = m_store->put({}, makeCert(1), kNow);
    ASSERT_FALSE(noHash.ok());
    EXPECT_EQ(noHash.error().code, ErrorCode::InvalidArgument);
    auto upperCase = m_store->put(std::vector<std::string>{std::string(64, 'A')}, makeCert(1), kNow);
    ASSERT_FALSE(upperCase.ok());
    EXPECT_EQ(upperCase.error().code, ErrorCode::InvalidArgument);
    StoredCert badFingerprint = makeCert(1);
    badFingerprint.fingerprint = "abc";
    auto bad = m_store->put(std::vector<std::string>{addressHash(1)}, badFingerprint, kNow);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    auto found = m_store->find("not-a-hash", kNow);
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(count(), 0);
}

TEST_P(CertStoreTest, ConcurrentPutsAndFindsLoseNothing) {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 60;
    const StoredCert shared = makeCert(999'999);
    std::atomic<int> sharedInserted{0};
    std::atomic<int> failures{0};
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const auto n = static_cast<std::uint64_t>(t) * kPerThread + static_cast<std::uint64_t>(i);
                auto outcome =
                    m_store->put(std::vector<std::string>{addressHash(n), addressHash(500'000)}, makeCert(n), kNow);
                if (!outcome.ok() || *outcome != PutOutcome::Inserted) {
                    errors[t] = outcome.ok() ? "own certificate not Inserted" : outcome.error().detail;
                    ++failures;
                    return;
                }
                auto mine = m_store->find(addressHash(n), kNow);
                if (!mine.ok() || mine->size() != 1 || (*mine)[0].fingerprint != makeCert(n).fingerprint) {
                    errors[t] = mine.ok() ? "own certificate not found" : mine.error().detail;
                    ++failures;
                    return;
                }
                auto same = m_store->put(std::vector<std::string>{addressHash(700'000)}, shared, kNow);
                if (!same.ok()) {
                    errors[t] = same.error().detail;
                    ++failures;
                    return;
                }
                sharedInserted += *same == PutOutcome::Inserted ? 1 : 0;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& error : errors) {
        EXPECT_EQ(error, "");
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(sharedInserted.load(), 1); // every other put of it was Unchanged
    EXPECT_EQ(count(), kThreads * kPerThread + 1);
    EXPECT_EQ(find(addressHash(500'000)).size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_P(CertStoreTest, ReopeningKeepsDataAndSchemaVersion) {
    put({addressHash(1)}, makeCert(1));
    const std::int64_t version = schemaVersion(*m_store);
    EXPECT_EQ(version, GetParam() == "sqlite" ? SqliteCertStore::kSchemaVersion : PgCertStore::kSchemaVersion);
    m_store.reset();
    m_store = openStore(2);
    ASSERT_NE(m_store, nullptr);
    EXPECT_EQ(schemaVersion(*m_store), version);
    const auto found = find(addressHash(1));
    ASSERT_EQ(found.size(), 1U);
    expectSameCert(found[0], makeCert(1), kNow);
}

TEST_P(CertStoreTest, ReconnectsWhenTheServerDropsItsConnections) {
    if (GetParam() != "postgres") {
        GTEST_SKIP() << "only a database server drops connections";
    }
    put({addressHash(1)}, makeCert(1));
    // What a server restart or an idle-connection timeout does to every pooled connection.
    std::string error;
    ASSERT_TRUE(pgExec(m_pgBase,
                       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = 'sealpost-keydir' AND pid <> pg_backend_pid()",
                       &error))
        << error;
    for (int round = 0; round < 6; ++round) { // more rounds than connections in the pool
        EXPECT_EQ(fingerprints(find(addressHash(1))), (std::vector<std::string>{hex64('f', 1)})) << round;
    }
    EXPECT_EQ(put({addressHash(2)}, makeCert(2)), PutOutcome::Inserted);
    EXPECT_TRUE(m_store->ping().ok());
    EXPECT_EQ(count(), 2);
}

TEST_P(CertStoreTest, RefusesSchemaNewerThanItsOwn) {
    m_store.reset();
    if (GetParam() == "sqlite") {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((m_dir / "keydir.db").string().c_str(), &db), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    } else {
        std::string error;
        ASSERT_TRUE(pgExec(m_pgBase, "UPDATE " + m_schema + ".keydir_schema SET version = 99", &error)) << error;
    }
    auto store = openCertStore(m_url, 1);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::Unsupported) << store.error().detail;
}

TEST_P(CertStoreTest, InstancesOpeningTogetherShareOneSchema) {
    m_store.reset();
    constexpr int kInstances = 4;
    std::vector<std::unique_ptr<CertStore>> stores(kInstances);
    std::vector<std::string> errors(kInstances);
    std::vector<std::thread> threads;
    threads.reserve(kInstances);
    for (int i = 0; i < kInstances; ++i) {
        threads.emplace_back([&, i] {
            auto store = openCertStore(m_url, 2);
            if (store.ok()) {
                stores[i] = std::move(*store);
            } else {
                errors[i] = store.error().detail;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (int i = 0; i < kInstances; ++i) {
        ASSERT_NE(stores[i], nullptr) << errors[i];
    }
    auto outcome = stores[0]->put(std::vector<std::string>{addressHash(1)}, makeCert(1), kNow);
    ASSERT_TRUE(outcome.ok()) << outcome.error().detail;
    auto found = stores[kInstances - 1]->find(addressHash(1), kNow);
    ASSERT_TRUE(found.ok()) << found.error().detail;
    EXPECT_EQ(found->size(), 1U);
}

INSTANTIATE_TEST_SUITE_P(Backends, CertStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

// Opening errors, for every kind of --database value.

TEST(OpenCertStoreTest, UnknownSchemeIsInvalidArgument) {
    auto store = openCertStore("mysql://user:hunter2@localhost/db", 2);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(store.error().detail.find("hunter2"), std::string::npos) << store.error().detail;
}

TEST(OpenCertStoreTest, PoolSizeMustBePositive) {
    const fs::path dir = makeTempDir();
    auto store = openCertStore("sqlite:" + (dir / "keydir.db").string(), 0);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::InvalidArgument);
    fs::remove_all(dir);
}

TEST(OpenCertStoreTest, FileThatIsNotSqliteIsMalformedInput) {
    const fs::path dir = makeTempDir();
    const fs::path file = dir / "notes.txt";
    std::ofstream(file) << std::string(8192, 'x');
    auto store = openCertStore(file.string(), 2);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::MalformedInput) << store.error().detail;
    std::ifstream in(file);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), std::string(8192, 'x')); // untouched
    fs::remove_all(dir);
}

TEST(OpenCertStoreTest, UnopenableSqliteFileIsIo) {
    const fs::path dir = makeTempDir();
    auto store = openCertStore("sqlite:" + (dir / "missing" / "keydir.db").string(), 2);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::Io) << store.error().detail;
    fs::remove_all(dir);
}

TEST(OpenCertStoreTest, PlainPathOpensSqlite) {
    const fs::path dir = makeTempDir();
    auto store = openCertStore((dir / "keydir.db").string(), 1);
    ASSERT_TRUE(store.ok()) << store.error().detail;
    EXPECT_NE(dynamic_cast<SqliteCertStore*>(store->get()), nullptr);
    EXPECT_TRUE(fs::exists(dir / "keydir.db"));
    fs::remove_all(dir);
}

TEST(OpenCertStoreTest, ClosedPostgresPortIsUnreachableQuicklyWithoutThePassword) {
    // Nothing listens on port 1.
    const std::string url = "postgresql://keydir:s3cret-Pa55@127.0.0.1:1/keydir?password=s3cret-Pa55";
    const auto start = std::chrono::steady_clock::now();
    auto store = openCertStore(url, 2);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::Unreachable) << store.error().detail;
    EXPECT_EQ(store.error().detail.find("s3cret-Pa55"), std::string::npos) << store.error().detail;
    EXPECT_NE(store.error().detail.find("127.0.0.1"), std::string::npos) << store.error().detail;
    EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(OpenCertStoreTest, MalformedPostgresUrlIsInvalidArgumentWithoutThePassword) {
    auto store = openCertStore("postgresql://keydir:s3cret-Pa55@[::1/keydir", 1);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::InvalidArgument) << store.error().detail;
    EXPECT_EQ(store.error().detail.find("s3cret-Pa55"), std::string::npos) << store.error().detail;
}

TEST(DatabaseUrlTest, RedactsPasswords) {
    EXPECT_EQ(db::redactPassword("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
    EXPECT_EQ(db::redactPassword("postgresql://u@h/db?sslmode=require&password=pw&x=1"),
              "postgresql://u@h/db?sslmode=require&password=***&x=1");
    EXPECT_EQ(db::redactPassword("postgresql://h/db"), "postgresql://h/db");
    EXPECT_EQ(db::scrubPassword("failed for \"postgresql://u:pw9@h\"", "postgresql://u:pw9@h"),
              "failed for \"postgresql://u:***@h\"");
}

TEST(DatabaseUrlTest, DispatchesOnTheScheme) {
    EXPECT_EQ(db::parseDatabaseUrl("postgres://h/db").kind, db::DatabaseKind::Postgres);
    EXPECT_EQ(db::parseDatabaseUrl("postgresql://h/db").kind, db::DatabaseKind::Postgres);
    const auto sqlite = db::parseDatabaseUrl("sqlite:/var/lib/keydir/keydir.db");
    EXPECT_EQ(sqlite.kind, db::DatabaseKind::Sqlite);
    EXPECT_EQ(sqlite.target, "/var/lib/keydir/keydir.db");
    EXPECT_EQ(db::parseDatabaseUrl("/var/lib/keydir.db").target, "/var/lib/keydir.db");
    EXPECT_EQ(db::parseDatabaseUrl("keydir.db").kind, db::DatabaseKind::Sqlite);
    EXPECT_EQ(db::parseDatabaseUrl("mysql://h/db").kind, db::DatabaseKind::Unknown);
}

} // namespace
} // namespace sealpost::keydir
