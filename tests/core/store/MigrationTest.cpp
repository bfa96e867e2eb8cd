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

const auto kLatest = static_cast<std::int64_t>(profileMigrations().size());

class MigrationTest : public ::testing::Test {
protected:
    // The real schema (kLatest steps) followed by two test steps, counting how often the first runs.
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
    EXPECT_EQ(*version, kLatest);
    EXPECT_EQ(queryText(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                            "WHERE type IN ('table', 'index') ORDER BY name)"),
              "accounts,acme_accounts,acme_renewals,acme_renewals_replaced_by,cert_events,cert_events_address,"
              "correspondent_certs,correspondent_certs_address,"
              "correspondent_certs_fingerprint,directory_cache,directory_uploads,directory_uploads_due,folders,"
              "identities,identities_address,messages,messages_message_id,outbox,outbox_state,settings,"
              "sqlite_autoindex_accounts_1,sqlite_autoindex_acme_accounts_1,sqlite_autoindex_correspondent_certs_1,"
              "sqlite_autoindex_directory_cache_1,sqlite_autoindex_directory_uploads_1,sqlite_autoindex_folders_1,"
              "sqlite_autoindex_messages_1,sqlite_autoindex_outbox_1,sqlite_autoindex_settings_1,"
              "sqlite_autoindex_trust_anchors_1,trust_anchors");
}

TEST_F(MigrationTest, ReopeningIsIdempotent) {
    { Database db = openOrFail(m_file, "pw"); }
    const std::string before = test::readFile(m_file);
    Database db = openOrFail(m_file, "pw", OpenMode::MustExist);
    EXPECT_EQ(*db.schemaVersion(), kLatest);
    EXPECT_TRUE(migrate(db, profileMigrations()).ok());
    EXPECT_EQ(test::readFile(m_file), before);
}

TEST_F(MigrationTest, AppliesOnlyPendingStepsInOrder) {
    Database db = openOrFail(m_file, "pw");
    const auto steps = stepsWithTwoMore(addV3Table);
    ASSERT_TRUE(migrate(db, steps).ok());
    EXPECT_EQ(*db.schemaVersion(), kLatest + 2);
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
    EXPECT_NE(migrated.error().detail.find("version " + std::to_string(kLatest + 2)), std::string::npos)
        << migrated.error().detail;
    EXPECT_EQ(*db.schemaVersion(), kLatest + 1);
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'v3_table'"), "0");
}

TEST_F(MigrationTest, ThrowingStepRollsBack) {
    Database db = openOrFail(m_file, "pw");
    EXPECT_THROW((void)migrate(db, stepsWithTwoMore(throwHalfway)), std::runtime_error);
    EXPECT_EQ(*db.schemaVersion(), kLatest + 1);
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'v3_table'"), "0");
}

TEST_F(MigrationTest, RefusesDatabaseNewerThanTheSteps) {
    Database db = openOrFail(m_file, "pw");
    auto migrated = migrate(db, profileMigrations().first(0));
    ASSERT_FALSE(migrated.ok());
    EXPECT_EQ(migrated.error().code, ErrorCode::Unsupported);
    EXPECT_EQ(*db.schemaVersion(), kLatest);
}

// Takes an open profile back to an empty file at version 0, so a test can build an old schema.
void resetToEmpty(Database& db) {
    ASSERT_TRUE(db.exec("PRAGMA foreign_keys = OFF").ok());
    for (;;) {
        const std::string table =
            queryText(db, "SELECT coalesce(max(name), '') FROM sqlite_master WHERE type = 'table'");
        if (table.empty()) {
            break;
        }
        ASSERT_TRUE(db.exec("DROP TABLE \"" + table + "\"").ok()) << table;
    }
    ASSERT_TRUE(db.exec("PRAGMA foreign_keys = ON; PRAGMA user_version = 0").ok());
}

TEST_F(MigrationTest, EveryOlderVersionUpgradesToTheLatest) {
    Database db = openOrFail(m_file, "pw");
    for (std::int64_t from = 1; from < kLatest; ++from) {
        resetToEmpty(db);
        ASSERT_TRUE(migrate(db, profileMigrations().first(static_cast<std::size_t>(from))).ok());
        ASSERT_EQ(*db.schemaVersion(), from);
        ASSERT_TRUE(migrate(db, profileMigrations()).ok()) << "from version " << from;
        EXPECT_EQ(*db.schemaVersion(), kLatest);
        EXPECT_EQ(queryText(db, "PRAGMA integrity_check"), "ok");
    }
}

TEST_F(MigrationTest, V2KeepsCertificateRowsAndFilesACertificatePerAddress) {
    Database db = openOrFail(m_file, "pw");
    resetToEmpty(db);
    ASSERT_TRUE(migrate(db, profileMigrations().first(1)).ok());
    ASSERT_TRUE(db.exec("INSERT INTO correspondent_certs (address, cert_der, fingerprint, provenance_kind, "
                        "provenance_detail, first_seen, last_seen, signing_time, capabilities, "
                        "encryption_key_preference) VALUES ('a@example.org', x'3000', 'ff01', 'harvested', '<m@x>', "
                        "10, 20, 15, 'aes-256-gcm', 1)")
                    .ok());
    const auto v1 = db.exec("INSERT INTO correspondent_certs (address, cert_der, fingerprint, provenance_kind, "
                            "first_seen, last_seen) VALUES ('b@example.org', x'3000', 'ff01', 'imported', 1, 1)");
    EXPECT_FALSE(v1.ok()) << "v1: the fingerprint was unique";

    ASSERT_TRUE(migrate(db, profileMigrations().first(2)).ok());
    EXPECT_EQ(queryText(db, "SELECT address || '|' || fingerprint || '|' || provenance_detail || '|' || first_seen || "
                            "'|' || last_seen || '|' || signing_time || '|' || capabilities || '|' || "
                            "encryption_key_preference FROM correspondent_certs"),
              "a@example.org|ff01|<m@x>|10|20|15|aes-256-gcm|1");
    EXPECT_TRUE(db.exec("INSERT INTO correspondent_certs (address, cert_der, fingerprint, provenance_kind, "
                        "first_seen, last_seen) VALUES ('b@example.org', x'3000', 'ff01', 'imported', 1, 1)")
                    .ok())
        << "v2: the same certificate under a second address";
    EXPECT_FALSE(db.exec("INSERT INTO correspondent_certs (address, cert_der, fingerprint, provenance_kind, "
                         "first_seen, last_seen) VALUES ('b@example.org', x'3000', 'ff01', 'imported', 1, 1)")
                     .ok())
        << "v2: still once per address";
}

TEST_F(MigrationTest, V6KeepsIdentitiesAndAddsAcmeStateThatFollowsThem) {
    Database db = openOrFail(m_file, "pw");
    resetToEmpty(db);
    ASSERT_TRUE(migrate(db, profileMigrations().first(5)).ok());
    ASSERT_TRUE(db.exec("INSERT INTO identities (id, address, key_pkcs8, cert_der, role, state, created_at) "
                        "VALUES (7, 'a@example.org', x'30', x'30', 'both', 'current', 100), "
                        "(8, 'a@example.org', x'30', x'31', 'both', 'retired', 50)")
                    .ok());
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'acme_%'"), "0");

    ASSERT_TRUE(migrate(db, profileMigrations().first(6)).ok());
    EXPECT_EQ(*db.schemaVersion(), 6);
    EXPECT_EQ(queryText(db, "SELECT group_concat(id || ':' || state, ',') FROM identities"), "7:current,8:retired");
    EXPECT_TRUE(
        db.exec("INSERT INTO acme_accounts (directory_url, address, account_url, key_pkcs8, created_at) "
                "VALUES ('https://ca.example/directory', 'a@example.org', 'https://ca.example/acct/1', x'30', 1)")
            .ok());
    EXPECT_FALSE(
        db.exec("INSERT INTO acme_accounts (directory_url, address, account_url, key_pkcs8, created_at) "
                "VALUES ('https://ca.example/directory', 'a@example.org', 'https://ca.example/acct/2', x'30', 1)")
            .ok())
        << "one account per directory and address";
    EXPECT_TRUE(db.exec("INSERT INTO acme_renewals (identity_id, directory_url, replaced_by) "
                        "VALUES (8, 'https://ca.example/directory', 7)")
                    .ok());
    EXPECT_FALSE(db.exec("INSERT INTO acme_renewals (identity_id, directory_url) VALUES (9, 'x')").ok())
        << "the identity must exist";
    EXPECT_FALSE(db.exec("INSERT INTO acme_renewals (identity_id, directory_url, last_failure_step) "
                         "VALUES (7, 'x', 'lunch')")
                     .ok())
        << "failure steps are checked";
    EXPECT_FALSE(
        db.exec("INSERT INTO acme_renewals (identity_id, directory_url, ari_window_start) VALUES (7, 'x', 1)").ok())
        << "a window has both ends or none";
    ASSERT_TRUE(db.exec("DELETE FROM identities WHERE id = 7").ok());
    EXPECT_EQ(queryText(db, "SELECT coalesce(replaced_by, 'null') FROM acme_renewals WHERE identity_id = 8"), "null");
    ASSERT_TRUE(db.exec("DELETE FROM identities WHERE id = 8").ok());
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM acme_renewals"), "0") << "the record goes with its identity";
}

TEST_F(MigrationTest, V7KeepsQueuedMessagesAndAllowsCopiesOfOneMessage) {
    Database db = openOrFail(m_file, "pw");
    resetToEmpty(db);
    ASSERT_TRUE(migrate(db, profileMigrations().first(6)).ok());
    ASSERT_TRUE(
        db.exec("INSERT INTO accounts (id, address, imap_host, imap_port, imap_security, smtp_host, "
                "smtp_port, smtp_security, username, created) VALUES (1, 'alice@example.org', 'h', 993, 'tls', 'h', "
                "465, 'tls', 'alice', 1)")
            .ok());
    ASSERT_TRUE(db.exec("INSERT INTO outbox (id, account_id, message_id, raw, envelope_from, envelope_to, state, "
                        "attempts, next_attempt, queued_at, claimed_by, data_complete, unknown_outcomes) "
                        "VALUES (5, 1, '<a@x>', x'6869', 'alice@example.org', 'bob@example.org\n', 'unconfirmed', "
                        "2, 10, 9, NULL, 0, 1)")
                    .ok());
    EXPECT_FALSE(db.exec("INSERT INTO outbox (account_id, message_id, raw, envelope_from, envelope_to, state, "
                         "next_attempt, queued_at) VALUES (1, '<a@x>', x'00', 'a', 'b', 'queued', 0, 0)")
                     .ok())
        << "v6: one row per Message-ID";

    ASSERT_TRUE(migrate(db, profileMigrations().first(7)).ok());
    EXPECT_EQ(*db.schemaVersion(), 7);
    EXPECT_EQ(queryText(db, "SELECT id || '|' || message_id || '|' || copy || '|' || hex(raw) || '|' || "
                            "coalesce(sent_copy, 'null') || '|' || state || '|' || attempts || '|' || "
                            "unknown_outcomes FROM outbox"),
              "5|<a@x>||6869|null|unconfirmed|2|1");
    EXPECT_TRUE(db.exec("INSERT INTO outbox (account_id, message_id, copy, raw, envelope_from, envelope_to, state, "
                        "next_attempt, queued_at) VALUES (1, '<a@x>', 'bcc:carol@example.org', x'00', 'a', 'b', "
                        "'queued', 0, 0)")
                    .ok())
        << "v7: a Bcc copy with the same Message-ID";
    EXPECT_FALSE(db.exec("INSERT INTO outbox (account_id, message_id, copy, raw, envelope_from, envelope_to, state, "
                         "next_attempt, queued_at) VALUES (1, '<a@x>', 'bcc:carol@example.org', x'00', 'a', 'b', "
                         "'queued', 0, 0)")
                     .ok())
        << "v7: still once per copy";
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'outbox_state'"), "1");
    ASSERT_TRUE(db.exec("DELETE FROM accounts").ok());
    EXPECT_EQ(queryText(db, "SELECT count(*) FROM outbox"), "0") << "the copies go with their account";
}

} // namespace
} // namespace sealpost::store
