#include "store/Database.h"

#include "StoreTestSupport.h"
#include "store/Schema.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <gtest/gtest.h>
#include <stdexcept>

namespace sealpost::store {
namespace {

using base::ErrorCode;
using test::openOrFail;
using test::queryText;
using test::readFile;
using test::secret;

constexpr const char* kMarker = "plaintext-marker-7f3a9c@example.org";

void insertIdentity(Database& db, const char* address) {
    auto insert = Statement::prepare(db, "INSERT INTO identities (address, key_pkcs8, cert_der, role, state, "
                                         "created_at) VALUES (?, ?, ?, 'both', 'current', 1700000000)");
    ASSERT_TRUE(insert.ok()) << insert.error().detail;
    ASSERT_TRUE(insert->bindText(1, address).ok());
    ASSERT_TRUE(insert->bindBlob(2, base::asBytes("secret-key-bytes")).ok());
    ASSERT_TRUE(insert->bindBlob(3, base::asBytes("cert")).ok());
    auto done = insert->step();
    ASSERT_TRUE(done.ok()) << done.error().detail;
    EXPECT_FALSE(*done);
}

std::string identityCount(Database& db) {
    return queryText(db, "SELECT count(*) FROM identities");
}

struct Snapshot {
    std::string bytes;
    std::filesystem::file_time_type mtime;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const std::filesystem::path& file) {
    return {readFile(file), std::filesystem::last_write_time(file)};
}

class DatabaseTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    std::filesystem::path m_file = m_dir.path() / "profile.db";
};

TEST_F(DatabaseTest, CreatesOpensAndReopens) {
    {
        Database db = openOrFail(m_file, "correct horse");
        insertIdentity(db, "alice@example.org");
    }
    Database db = openOrFail(m_file, "correct horse", OpenMode::MustExist);
    EXPECT_EQ(queryText(db, "SELECT address FROM identities"), "alice@example.org");
    EXPECT_EQ(queryText(db, "SELECT hex(key_pkcs8) FROM identities"), "7365637265742D6B65792D6279746573");
}

TEST_F(DatabaseTest, MustExistRefusesMissingFile) {
    auto db = Database::open(m_file, secret("pw"), OpenMode::MustExist);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::Io);
    EXPECT_FALSE(std::filesystem::exists(m_file));
}

TEST_F(DatabaseTest, RefusesEmptyPassphrase) {
    auto db = Database::open(m_file, secret(""), OpenMode::CreateIfMissing);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::InvalidArgument);
}

TEST_F(DatabaseTest, WrongPassphraseFailsAndLeavesFileUnchanged) {
    {
        Database db = openOrFail(m_file, "right");
        insertIdentity(db, "alice@example.org");
    }
    const Snapshot before = snapshot(m_file);
    auto db = Database::open(m_file, secret("wrong"), OpenMode::MustExist);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::WrongPassword);
    EXPECT_NE(db.error().detail.find("passphrase"), std::string::npos);
    EXPECT_EQ(db.error().detail.find("wrong"), std::string::npos) << "the passphrase leaked into the error";
    EXPECT_TRUE(snapshot(m_file) == before);
}

TEST_F(DatabaseTest, TextFileIsMalformedInput) {
    test::writeFile(m_file, "From: alice@example.org\r\nSubject: not a database\r\n\r\nhello\r\n");
    const Snapshot before = snapshot(m_file);
    auto db = Database::open(m_file, secret("pw"), OpenMode::CreateIfMissing);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::MalformedInput);
    EXPECT_TRUE(snapshot(m_file) == before);
}

TEST_F(DatabaseTest, PlaintextSqliteFileIsMalformedInput) {
    test::writeFile(m_file, std::string("SQLite format 3\0", 16) + std::string(4096 - 16, '\0'));
    auto db = Database::open(m_file, secret("pw"), OpenMode::MustExist);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::MalformedInput);
}

TEST_F(DatabaseTest, NewerSchemaIsRefusedAndUntouched) {
    {
        Database db = openOrFail(m_file, "pw");
        ASSERT_TRUE(db.exec("PRAGMA user_version = 999").ok());
    }
    const Snapshot before = snapshot(m_file);
    auto db = Database::open(m_file, secret("pw"), OpenMode::MustExist);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::Unsupported);
    EXPECT_NE(db.error().detail.find("999"), std::string::npos);
    EXPECT_TRUE(snapshot(m_file) == before);
}

TEST_F(DatabaseTest, EnablesWalForeignKeysAndSecureDelete) {
    Database db = openOrFail(m_file, "pw");
    EXPECT_EQ(queryText(db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(queryText(db, "PRAGMA foreign_keys"), "1");
    EXPECT_EQ(queryText(db, "PRAGMA secure_delete"), "1");
    EXPECT_EQ(queryText(db, "PRAGMA cipher_page_size"), "4096");
    EXPECT_EQ(queryText(db, "PRAGMA kdf_iter"), "256000");
}

TEST_F(DatabaseTest, PlaintextNeverReachesTheDisk) {
    {
        Database db = openOrFail(m_file, "pw");
        insertIdentity(db, kMarker);
        // The marker is in the WAL until a checkpoint; check the WAL while it holds the data.
        const auto wal = std::filesystem::path(m_file.string() + "-wal");
        ASSERT_TRUE(std::filesystem::exists(wal));
        EXPECT_EQ(readFile(wal).find(kMarker), std::string::npos);
        EXPECT_EQ(readFile(wal).find("secret-key-bytes"), std::string::npos);
    }
    const std::string raw = readFile(m_file);
    ASSERT_GE(raw.size(), 4096u);
    EXPECT_EQ(raw.find(kMarker), std::string::npos);
    EXPECT_EQ(raw.find("secret-key-bytes"), std::string::npos);
    EXPECT_EQ(raw.find("identities"), std::string::npos); // the schema is encrypted too
    Database db = openOrFail(m_file, "pw", OpenMode::MustExist);
    EXPECT_EQ(queryText(db, "SELECT address FROM identities"), kMarker);
}

TEST_F(DatabaseTest, TransactionRollsBackWhenDestroyedUncommitted) {
    Database db = openOrFail(m_file, "pw");
    {
        auto tx = Transaction::begin(db);
        ASSERT_TRUE(tx.ok());
        insertIdentity(db, "alice@example.org");
    }
    EXPECT_EQ(identityCount(db), "0");
    {
        auto tx = Transaction::begin(db);
        ASSERT_TRUE(tx.ok());
        insertIdentity(db, "alice@example.org");
        ASSERT_TRUE(tx->commit().ok());
        EXPECT_FALSE(tx->commit().ok());
    }
    EXPECT_EQ(identityCount(db), "1");
}

TEST_F(DatabaseTest, TransactionRollsBackOnException) {
    Database db = openOrFail(m_file, "pw");
    EXPECT_THROW(
        {
            auto tx = Transaction::begin(db);
            insertIdentity(db, "alice@example.org");
            throw std::runtime_error("interrupted");
        },
        std::runtime_error);
    EXPECT_EQ(identityCount(db), "0");
    EXPECT_FALSE(db.inTransaction()) << "the connection is left inside a transaction";
}

TEST_F(DatabaseTest, NestedTransactionIsASavepointOfTheOuterOne) {
    Database db = openOrFail(m_file, "pw");
    {
        auto outer = Transaction::begin(db);
        ASSERT_TRUE(outer.ok());
        insertIdentity(db, "alice@example.org");
        {
            auto inner = Transaction::begin(db);
            ASSERT_TRUE(inner.ok()) << inner.error().detail;
            insertIdentity(db, "bob@example.org");
            // destroyed uncommitted: only bob's row goes
        }
        EXPECT_EQ(identityCount(db), "1");
        EXPECT_TRUE(db.inTransaction()) << "rolling back the savepoint must not end the outer transaction";
        {
            auto inner = Transaction::begin(db);
            ASSERT_TRUE(inner.ok());
            insertIdentity(db, "carol@example.org");
            ASSERT_TRUE(inner->commit().ok());
        }
        EXPECT_EQ(identityCount(db), "2");
        // the outer transaction is dropped: the released savepoint goes with it
    }
    EXPECT_FALSE(db.inTransaction());
    EXPECT_EQ(identityCount(db), "0");
    {
        auto outer = Transaction::begin(db);
        ASSERT_TRUE(outer.ok());
        auto inner = Transaction::begin(db);
        ASSERT_TRUE(inner.ok());
        insertIdentity(db, "dave@example.org");
        ASSERT_TRUE(inner->commit().ok());
        ASSERT_TRUE(outer->commit().ok());
    }
    EXPECT_EQ(identityCount(db), "1");
}

TEST_F(DatabaseTest, StatementErrorsAreValues) {
    Database db = openOrFail(m_file, "pw");
    auto twoStatements = Statement::prepare(db, "SELECT 1; SELECT 2");
    ASSERT_FALSE(twoStatements.ok());
    EXPECT_EQ(twoStatements.error().code, ErrorCode::InvalidArgument);
    auto badSql = Statement::prepare(db, "SELEKT 1");
    ASSERT_FALSE(badSql.ok());
    EXPECT_NE(badSql.error().detail.find("syntax error"), std::string::npos);

    const char* insert = "INSERT INTO trust_anchors (fingerprint, cert_der) VALUES ('ab', ?)";
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto statement = Statement::prepare(db, insert);
        ASSERT_TRUE(statement.ok());
        ASSERT_TRUE(statement->bindBlob(1, {}).ok());
        auto done = statement->step();
        EXPECT_EQ(done.ok(), attempt == 0);
        if (!done.ok()) {
            EXPECT_EQ(done.error().code, ErrorCode::InvalidArgument);
            EXPECT_NE(done.error().detail.find("UNIQUE"), std::string::npos) << done.error().detail;
        }
    }
    EXPECT_EQ(queryText(db, "SELECT typeof(cert_der) || length(cert_der) FROM trust_anchors"), "blob0");
}

TEST_F(DatabaseTest, RekeyReplacesThePassphrase) {
    {
        Database db = openOrFail(m_file, "old passphrase");
        insertIdentity(db, "alice@example.org");
        auto rekeyed = db.rekey(secret("new passphrase"));
        ASSERT_TRUE(rekeyed.ok()) << rekeyed.error().detail;
        EXPECT_EQ(queryText(db, "PRAGMA journal_mode"), "wal");
        insertIdentity(db, "bob@example.org");
    }
    auto old = Database::open(m_file, secret("old passphrase"), OpenMode::MustExist);
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.error().code, ErrorCode::WrongPassword);

    Database db = openOrFail(m_file, "new passphrase", OpenMode::MustExist);
    EXPECT_EQ(identityCount(db), "2");
    EXPECT_EQ(queryText(db, "PRAGMA integrity_check"), "ok");
}

TEST_F(DatabaseTest, RekeyNeedsExclusiveUseAndChangesNothingOtherwise) {
    Database db = openOrFail(m_file, "pw");
    insertIdentity(db, "alice@example.org");
    Database other = openOrFail(m_file, "pw", OpenMode::MustExist);
    auto rekeyed = db.rekey(secret("new"));
    ASSERT_FALSE(rekeyed.ok());
    EXPECT_EQ(rekeyed.error().code, ErrorCode::Io);
    EXPECT_EQ(identityCount(other), "1");
    Database again = openOrFail(m_file, "pw", OpenMode::MustExist);
    EXPECT_EQ(identityCount(again), "1");
}

TEST_F(DatabaseTest, RekeyRefusesEmptyPassphrase) {
    Database db = openOrFail(m_file, "pw");
    auto rekeyed = db.rekey(secret(""));
    ASSERT_FALSE(rekeyed.ok());
    EXPECT_EQ(rekeyed.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace sealpost::store
