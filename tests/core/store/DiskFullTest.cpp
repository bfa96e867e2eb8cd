// Write failures (disk full, file size limit) give a clear error naming the file, and leave the
// profile as it was before the failed transaction. Also: profile checks (integrity, counts, digest).
#include "StoreTestSupport.h"
#include "store/Database.h"
#include "store/ProfileCheck.h"
#include "store/Schema.h"
#include "store/SqliteError.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <cerrno>
#include <csignal>
#include <gtest/gtest.h>
#include <string>
#include <sys/resource.h>

namespace sealpost::store {
namespace {

using base::ErrorCode;
using test::openOrFail;
using test::queryText;
using test::secret;

constexpr const char* kFile = "/profiles/a/profile.db";

TEST(SqliteFailureText, FullDiskNamesTheFileAndTheReason) {
    const std::string text =
        detail::describeSqliteFailure(SQLITE_FULL, ENOSPC, kFile, "database or disk is full", "exec");
    EXPECT_EQ(text.rfind("exec: disk full: cannot write /profiles/a/profile.db", 0), 0U) << text;
    EXPECT_NE(text.find("No space left on device"), std::string::npos) << text;
    EXPECT_NE(text.find("(sqlite code 13)"), std::string::npos) << text;
}

TEST(SqliteFailureText, WriteErrorsSayWhatHappened) {
    // sqlite reports a failed write() as SQLITE_IOERR_WRITE whatever errno was.
    EXPECT_NE(detail::describeSqliteFailure(SQLITE_IOERR_WRITE, ENOSPC, kFile, "disk I/O error", "commit")
                  .find("disk full: cannot write /profiles/a/profile.db"),
              std::string::npos);
    EXPECT_NE(
        detail::describeSqliteFailure(SQLITE_IOERR_WRITE, EDQUOT, kFile, "disk I/O error", "commit").find("disk full"),
        std::string::npos);
    const std::string limit =
        detail::describeSqliteFailure(SQLITE_IOERR_WRITE, EFBIG, kFile, "disk I/O error", "commit");
    EXPECT_NE(limit.find("file size limit reached: cannot write /profiles/a/profile.db"), std::string::npos) << limit;
    const std::string io = detail::describeSqliteFailure(SQLITE_IOERR_FSYNC, EIO, kFile, "disk I/O error", "commit");
    EXPECT_NE(io.find("cannot write /profiles/a/profile.db"), std::string::npos) << io;
    EXPECT_NE(io.find("Input/output error"), std::string::npos) << io;
    EXPECT_EQ(io.find("disk I/O error"), std::string::npos) << io;
}

TEST(SqliteFailureText, ReadErrorsAndUnknownFiles) {
    EXPECT_NE(detail::describeSqliteFailure(SQLITE_IOERR_READ, EIO, kFile, "disk I/O error", "step")
                  .find("cannot read /profiles/a/profile.db"),
              std::string::npos);
    const std::string noFile = detail::describeSqliteFailure(SQLITE_FULL, 0, "", "database or disk is full", "exec");
    EXPECT_EQ(noFile, "exec: disk full: cannot write the profile database (sqlite code 13)");
}

TEST(SqliteFailureText, DamagedPagesNameTheFile) {
    EXPECT_EQ(detail::describeSqliteFailure(SQLITE_CORRUPT, 0, kFile, "database disk image is malformed", "step"),
              "step: /profiles/a/profile.db is damaged: a page fails its authentication or integrity check (sqlite "
              "code 11)");
    // SQLCipher 3.4's failed page HMAC: SQLITE_ERROR without a specific message.
    EXPECT_NE(
        detail::describeSqliteFailure(SQLITE_ERROR, 0, kFile, sqlite3_errstr(SQLITE_ERROR), "step").find("is damaged"),
        std::string::npos);
    EXPECT_EQ(detail::describeSqliteFailure(SQLITE_ERROR, 0, kFile, "no such table: x", "prepare"),
              "prepare: no such table: x (sqlite code 1)");
}

TEST(SqliteFailureText, OtherFailuresKeepSqlitesMessage) {
    EXPECT_EQ(detail::describeSqliteFailure(SQLITE_CONSTRAINT_UNIQUE, 0, kFile, "UNIQUE constraint failed", "insert"),
              "insert: UNIQUE constraint failed (sqlite code 2067)");
}

// Lowers RLIMIT_FSIZE and ignores SIGXFSZ (so write() fails with EFBIG) until destroyed.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &m_saved);
        m_savedHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = m_saved;
        limited.rlim_cur = bytes;
        m_ok = ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;
    FileSizeLimit(FileSizeLimit&&) = delete;
    FileSizeLimit& operator=(FileSizeLimit&&) = delete;
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_savedHandler);
    }
    [[nodiscard]] bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    void (*m_savedHandler)(int) = nullptr;
    bool m_ok = false;
};

base::Result<void> insertMany(Database& db, int rows, const std::string& prefix) {
    auto transaction = Transaction::begin(db);
    if (!transaction) {
        return transaction.error();
    }
    auto insert =
        Statement::prepare(db, "INSERT INTO trust_anchors (fingerprint, cert_der) VALUES (?, zeroblob(2000))");
    if (!insert) {
        return insert.error();
    }
    for (int i = 0; i < rows; ++i) {
        insert->reset();
        if (auto bound = insert->bindText(1, prefix + std::to_string(i)); !bound) {
            return bound;
        }
        if (auto done = insert->run(); !done) {
            return done;
        }
    }
    return transaction->commit();
}

class DiskFullTest : public ::testing::Test {
protected:
    test::TempDir m_dir;
    std::filesystem::path m_file = m_dir.path() / "profile.db";
};

TEST_F(DiskFullTest, FailedCommitIsClearAndLosesNothingElse) {
    {
        Database db = openOrFail(m_file, "pw");
        ASSERT_TRUE(insertMany(db, 3, "before").ok());
    }
    std::string before;
    {
        Database db = openOrFail(m_file, "pw", OpenMode::MustExist);
        auto check = checkProfile(db);
        ASSERT_TRUE(check.ok()) << check.error().detail;
        before = check->contentSha256;

        // 36 KiB per file: room for the 32 KiB WAL index, not for 100 rows of 2 KB in the WAL.
        const FileSizeLimit limit(36 * 1024);
        ASSERT_TRUE(limit.ok());
        auto failed = insertMany(db, 100, "during");
        ASSERT_FALSE(failed.ok());
        EXPECT_EQ(failed.error().code, ErrorCode::Io);
        EXPECT_NE(failed.error().detail.find("file size limit reached: cannot write " + m_file.string()),
                  std::string::npos)
            << failed.error().detail;
        EXPECT_NE(failed.error().detail.find("File too large"), std::string::npos) << failed.error().detail;
    }
    Database db = openOrFail(m_file, "pw", OpenMode::MustExist);
    auto check = checkProfile(db);
    ASSERT_TRUE(check.ok()) << check.error().detail;
    EXPECT_TRUE(check->ok());
    EXPECT_EQ(check->trustAnchors, 3);
    EXPECT_EQ(check->contentSha256, before);
}

// SQLCipher 3.4's sqlite3_rekey reports success when it could not write, and its connection then
// writes pages under the new key into the old file; the next write (the switch back to WAL) used
// to leave a profile no passphrase opened.
TEST_F(DiskFullTest, RekeyThatCannotWriteKeepsTheOldPassphraseAndContent) {
    {
        Database db = openOrFail(m_file, "old");
        ASSERT_TRUE(insertMany(db, 30, "row").ok()); // about 60 KB: more than the limit below
    }                                                // closing checkpoints the WAL into the file
    std::string before;
    {
        Database db = openOrFail(m_file, "old", OpenMode::MustExist);
        auto check = checkProfile(db);
        ASSERT_TRUE(check.ok());
        before = check->contentSha256;
        const FileSizeLimit limit(36 * 1024);
        ASSERT_TRUE(limit.ok());
        auto rekeyed = db.rekey(secret("new"));
        ASSERT_FALSE(rekeyed.ok());
        EXPECT_EQ(rekeyed.error().code, ErrorCode::Io);
        EXPECT_NE(rekeyed.error().detail.find("cannot write the re-encrypted pages of " + m_file.string()),
                  std::string::npos)
            << rekeyed.error().detail;
        EXPECT_NE(rekeyed.error().detail.find("passphrase is unchanged"), std::string::npos);
        EXPECT_FALSE(db.exec("INSERT INTO trust_anchors VALUES ('x', x'00')").ok()); // closed
    }
    auto withNew = Database::open(m_file, secret("new"), OpenMode::MustExist);
    ASSERT_FALSE(withNew.ok());
    EXPECT_EQ(withNew.error().code, ErrorCode::WrongPassword);
    Database db = openOrFail(m_file, "old", OpenMode::MustExist);
    auto check = checkProfile(db);
    ASSERT_TRUE(check.ok()) << check.error().detail;
    EXPECT_TRUE(check->ok());
    EXPECT_EQ(check->contentSha256, before);
}

TEST_F(DiskFullTest, ProfileCheckCountsAndDigestsContentNotLayout) {
    Database db = openOrFail(m_file, "pw");
    auto empty = checkProfile(db);
    ASSERT_TRUE(empty.ok()) << empty.error().detail;
    EXPECT_TRUE(empty->ok());
    EXPECT_EQ(empty->schemaVersion, static_cast<std::int64_t>(profileMigrations().size()));
    EXPECT_EQ(empty->identities + empty->correspondentCertificates + empty->trustAnchors + empty->certificateEvents, 0);
    EXPECT_EQ(empty->contentSha256.size(), 64U);

    ASSERT_TRUE(insertMany(db, 2, "fp").ok());
    auto two = checkProfile(db);
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(two->trustAnchors, 2);
    EXPECT_NE(two->contentSha256, empty->contentSha256);

    ASSERT_TRUE(db.rekey(secret("other")).ok()); // every page changes, the content does not
    ASSERT_TRUE(db.exec("VACUUM").ok());
    auto rekeyed = checkProfile(db);
    ASSERT_TRUE(rekeyed.ok());
    EXPECT_EQ(rekeyed->contentSha256, two->contentSha256);

    ASSERT_TRUE(db.exec("UPDATE trust_anchors SET cert_der = zeroblob(2001) WHERE fingerprint = 'fp1'").ok());
    auto changed = checkProfile(db);
    ASSERT_TRUE(changed.ok());
    EXPECT_NE(changed->contentSha256, two->contentSha256);
}

} // namespace
} // namespace sealpost::store
