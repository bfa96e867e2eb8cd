#include "store/MessageCache.h"

#include "StoreTestSupport.h"
#include "store/AccountStore.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;
using base::ErrorCode;

namespace {

std::int64_t addAccount(Database& db) {
    Account a;
    a.address = "alice@example.org";
    a.imap.host = "imap.example.org";
    a.imap.port = 993;
    a.smtp.host = "smtp.example.org";
    a.smtp.port = 465;
    auto id = AccountStore(db).add(a);
    EXPECT_TRUE(id);
    return id ? *id : 0;
}

mail::MessageHeader header(std::uint64_t uid, std::vector<std::string> flags = {}) {
    mail::MessageHeader m;
    m.uid = uid;
    m.flags = std::move(flags);
    m.internalDate = 1795480338;
    m.size = 1234;
    m.header = "From: \"Bob B.\" <Bob@Example.org>\r\nTo: alice@example.org,\r\n carol@example.org\r\n"
               "Cc: Dave <dave@example.org>\r\nSubject: Hello\r\n  again\r\nMessage-ID: <m" +
               std::to_string(uid) + "@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n";
    return m;
}

} // namespace

TEST(MessageCacheTest, SummaryFromHeader) {
    const MessageSummary s = summarizeHeader(header(7).header);
    EXPECT_EQ(s.messageId, "<m7@example.org>");
    EXPECT_EQ(s.subject, "Hello  again");
    EXPECT_EQ(s.from, "Bob@example.org"); // the domain lower-cased by mime::parseAddressList
    EXPECT_EQ(s.to, "alice@example.org, carol@example.org, dave@example.org");
    EXPECT_EQ(s.date, "Mon, 23 Nov 2026 10:00:00 +0000");
    EXPECT_EQ(summarizeHeader("not a header at all").subject, "");
}

TEST(MessageCacheTest, FoldersKeepSyncStateAcrossUpserts) {
    test::TempDir dir;
    Database db = test::openOrFail(dir.path() / "profile.db", "pass");
    const auto account = addAccount(db);
    MessageCache cache(db);
    auto id = cache.upsertFolder(account, {"INBOX", "/", "inbox", true});
    ASSERT_TRUE(id);
    ASSERT_TRUE(cache.setFolderState(*id, 42, 100, 1000));
    auto again = cache.upsertFolder(account, {"INBOX", ".", "inbox", true});
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *id);
    auto f = cache.folder(account, "INBOX");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->delimiter, ".");
    EXPECT_EQ(f->uidValidity, 42U);
    EXPECT_EQ(f->uidNext, 100U);
    EXPECT_EQ(f->lastSync, 1000);
    ASSERT_TRUE(cache.upsertFolder(account, {"Sent", "/", "sent", true}));
    ASSERT_TRUE(cache.upsertFolder(account, {"Archive", "/", "", true}));
    auto all = cache.folders(account);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 3U);
    EXPECT_EQ(all->front().name, "INBOX"); // the inbox first, then by name
    EXPECT_EQ((*all)[1].name, "Archive");
    EXPECT_EQ((*all)[1].specialUse, "");
    const std::string keep[] = {"INBOX", "Sent"};
    ASSERT_TRUE(cache.keepOnlyFolders(account, keep));
    EXPECT_EQ(cache.folder(account, "Archive").error().code, ErrorCode::NotFound);
    EXPECT_EQ(cache.folders(account)->size(), 2U);
}

TEST(MessageCacheTest, MessagesFlagsBodiesAndRemoval) {
    test::TempDir dir;
    Database db = test::openOrFail(dir.path() / "profile.db", "pass");
    const auto account = addAccount(db);
    MessageCache cache(db);
    auto folder = cache.upsertFolder(account, {"INBOX", "/", "inbox", true});
    ASSERT_TRUE(folder);
    ASSERT_TRUE(cache.putHeader(*folder, header(5, {"\\Seen", "$Label1", "\\Seen"})));
    ASSERT_TRUE(cache.putHeader(*folder, header(3)));
    auto list = cache.list(*folder);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2U);
    EXPECT_EQ(list->front().uid, 3U);
    EXPECT_EQ((*list)[1].flags, "$Label1 \\Seen");
    EXPECT_EQ((*list)[1].summary.subject, "Hello  again");
    EXPECT_EQ((*list)[1].size, 1234U);
    EXPECT_FALSE((*list)[1].hasBody);

    const std::string flagged[] = {"\\Flagged"};
    ASSERT_TRUE(cache.setFlags(*folder, 3, flagged));
    auto flags = cache.flags(*folder);
    ASSERT_TRUE(flags);
    ASSERT_EQ(flags->size(), 2U);
    EXPECT_EQ(flags->front(), (std::pair<std::uint64_t, std::string>{3, "\\Flagged"}));

    using namespace std::string_literals;
    const std::string raw = header(5).header + "Body with \0 a NUL byte.\r\n"s;
    ASSERT_NE(raw.find('\0'), std::string::npos);
    ASSERT_TRUE(cache.putBody(*folder, 5, base::asBytes(raw)));
    ASSERT_TRUE(cache.setSecurity(*folder, 5, R"({"signature":"none"})"));
    EXPECT_EQ(cache.putBody(*folder, 99, base::asBytes(raw)).error().code, ErrorCode::NotFound);
    // A header refresh keeps the body and the security summary.
    ASSERT_TRUE(cache.putHeader(*folder, header(5, {"\\Answered"})));
    auto m = cache.message(*folder, 5);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->hasBody);
    EXPECT_EQ(m->flags, "\\Answered");
    EXPECT_EQ(m->security, R"({"signature":"none"})");
    auto body = cache.body(*folder, 5);
    ASSERT_TRUE(body && body->has_value());
    EXPECT_EQ(**body, raw);
    auto noBody = cache.body(*folder, 3);
    ASSERT_TRUE(noBody);
    EXPECT_FALSE(noBody->has_value());
    EXPECT_EQ(cache.body(*folder, 99).error().code, ErrorCode::NotFound);
    auto missing = cache.uidsWithoutBody(*folder);
    ASSERT_TRUE(missing);
    EXPECT_EQ(*missing, std::vector<std::uint64_t>{3});

    const std::uint64_t gone[] = {3};
    ASSERT_TRUE(cache.removeMessages(*folder, gone));
    EXPECT_EQ(cache.message(*folder, 3).error().code, ErrorCode::NotFound);
    ASSERT_TRUE(cache.setFolderState(*folder, 7, 6, 1));
    ASSERT_TRUE(cache.clearFolder(*folder));
    EXPECT_TRUE(cache.list(*folder)->empty());
    EXPECT_EQ(cache.folder(account, "INBOX")->uidValidity, 0U);
    // Removing the account removes its cache.
    ASSERT_TRUE(AccountStore(db).remove("alice@example.org"));
    EXPECT_EQ(cache.folder(account, "INBOX").error().code, ErrorCode::NotFound);
}
