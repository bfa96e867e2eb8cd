#include "store/Migration.h"

#include "StoreTestSupport.h"
#include "store/Schema.h"

#include <gtest/gtest.h>
#include <stdexcept>
#include <vector>

namespace sealpost::store {
namespace {

using base::ErrorCode;
using test::openOrFail;
using test::queryText;

class MigrationTest : public ::testing::Test {
protected:
    // The real schema followed by test steps 2 and 3, counting how often each runs.
    std::vector<Migration> stepsWithTwoMore(base::Result<void> (*third)(Database&)) {
        std::vector<Migration> steps(profileMigrations().begin(), profileMigrations().end());
        steps.push_back({"v2", [this](Database& db) {
                             ++m_runs;
                             return db.exec("CREATE TABLE v2_table (x INTEGER)");
                         }});
        steps.push_back({"v3", third});
        return steps;
    }

    test::TempDir m_dir;
    std::filesystem::path m_file = m_dir.path() / "profile.db";
    int m_runs = 0;
};

base::Result<void> addV3Table(Database& db) {
    return db.exec("CREATE TABLE v3_table (y TEXT)");
}

base::Result<void> failHalfway(Database& db) {
    if (auto created = db.exec("CREATE TABLE v3_table (y TEXT)"); !created) {
        return created;
    }
    return base::makeError(ErrorCode::Io, "simulated failure");
}

base::Result<void> throwHalfway(Database& db) {
    (void)db.exec("CREATE TABLE v3_table (y TEXT)");
    throw std::runtime_error("simulated crash");
}

TEST_F(MigrationTest, NewFileIsMigratedFromZeroToLatest) {
    Database db = openOrFail(m_file, "pw");
    auto version = db.schemaVersion();
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, static_cast<std::int64_t>(profileMigrations().size()));
    EXPECT_EQ(queryText(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                            "WHERE type IN ('table', 'index') ORDER BY name)"),
              "cert_events,cert_events_address,correspondent_certs,correspondent_certs_address,"
              "identities,identities_address,sqlite_autoindex_correspondent_certs_1,"
              "sqlite_autoindex_trust_anchors_1,trust_anchors");
}

TEST_F(MigrationTest, ReopeningIsIdempotent) {
    { Database db = openOrFail(m_file, "pw"); }
    const std::string before = test::readFile(m_file);
    Database db = openOrFail(m_file, "pw", OpenMode::MustExist);
    EXPECT_EQ(*db.schemaVersion(), 1);
    EXPECT_TRUE(migrate(db, profileMigrations()).ok());
    EXPECT_EQ(test::readFile(m_file), before);
}

TEST_F(MigrationTest, AppliesOnlyPendingStepsInOrder) {
    Database db = openOrFail(m_file, "pw");
    const auto steps = stepsWithTwoMore(addV3Table);
    ASSERT_TRUE(migrate(db, steps).ok());
    EXPECT_EQ(*db.schemaVersion(), 3);
    EXPECT_EQ(m_runs, 1);
    ASSERT_TRUE(migrate(db, steps).ok());
    EXPECT_EQ(m_runs, 1);
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('v2_table', 'v3_table')"), "2");
}

TEST_F(MigrationTest, FailedStepRollsBackToThePreviousVersion) {
    Database db = openOrFail(m_file, "pw");
    auto migrated = migrate(db, stepsWithTwoMore(failHalfway));
    ASSERT_FALSE(migrated.ok());
    EXPECT_EQ(migrated.error().code, ErrorCode::Io);
    EXPECT_NE(migrated.error().detail.find("version 3"), std::string::npos) << migrated.error().detail;
    EXPECT_EQ(*db.schemaVersion(), 2);
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'v3_table'"), "0");
}

TEST_F(MigrationTest, ThrowingStepRollsBack) {
    Database db = openOrFail(m_file, "pw");
    EXPECT_THROW((void)migrate(db, stepsWithTwoMore(throwHalfway)), std::runtime_error);
    EXPECT_EQ(*db.schemaVersion(), 2);
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'v3_table'"), "0");
}

TEST_F(MigrationTest, RefusesDatabaseNewerThanTheSteps) {
    Database db = openOrFail(m_file, "pw");
    auto migrated = migrate(db, profileMigrations().first(0));
    ASSERT_FALSE(migrated.ok());
    EXPECT_EQ(migrated.error().code, ErrorCode::Unsupported);
    EXPECT_EQ(*db.schemaVersion(), 1);
}

} // namespace
} // namespace sealpost::store
