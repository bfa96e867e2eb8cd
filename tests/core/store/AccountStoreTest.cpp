#include "store/AccountStore.h"

#include "StoreTestSupport.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::store;
using base::ErrorCode;

namespace {

Account alice() {
    Account a;
    a.address = "Alice@Example.org";
    a.displayName = "Alice Test";
    a.imap.host = "imap.example.org";
    a.imap.port = 993;
    a.imap.security = mail::Security::ImplicitTls;
    a.smtp.host = "smtp.example.org";
    a.smtp.port = 587;
    a.smtp.security = mail::Security::StartTls;
    for (auto* s : {&a.imap, &a.smtp}) {
        s->username = "alice@example.org";
        s->secret = "alice secret";
        s->pinnedSha256 = "00ff";
    }
    return a;
}

} // namespace

TEST(AccountStoreTest, AddFindListSurviveReopen) {
    test::TempDir dir;
    const auto file = dir.path() / "profile.db";
    {
        Database db = test::openOrFail(file, "pass");
        AccountStore accounts(db);
        auto id = accounts.add(alice());
        ASSERT_TRUE(id) << id.error().detail;
        EXPECT_GT(*id, 0);
    }
    Database db = test::openOrFail(file, "pass", OpenMode::MustExist);
    AccountStore accounts(db);
    auto found = accounts.find("ALICE@example.org");
    ASSERT_TRUE(found) << found.error().detail;
    EXPECT_EQ(found->address, "alice@example.org");
    EXPECT_EQ(found->displayName, "Alice Test");
    EXPECT_EQ(found->imap.host, "imap.example.org");
    EXPECT_EQ(found->imap.port, 993);
    EXPECT_EQ(found->imap.security, mail::Security::ImplicitTls);
    EXPECT_EQ(found->smtp.host, "smtp.example.org");
    EXPECT_EQ(found->smtp.port, 587);
    EXPECT_EQ(found->smtp.security, mail::Security::StartTls);
    for (const auto* s : {&found->imap, &found->smtp}) {
        EXPECT_EQ(s->username, "alice@example.org");
        EXPECT_EQ(s->secret, "alice secret");
        EXPECT_EQ(s->pinnedSha256, "00ff");
        EXPECT_FALSE(s->allowPlaintext);
    }
    auto byId = accounts.findById(found->id);
    ASSERT_TRUE(byId);
    EXPECT_EQ(byId->address, "alice@example.org");
    auto all = accounts.list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1U);
}

TEST(AccountStoreTest, DuplicateAndIncompleteAccountsAreRefused) {
    test::TempDir dir;
    Database db = test::openOrFail(dir.path() / "profile.db", "pass");
    AccountStore accounts(db);
    ASSERT_TRUE(accounts.add(alice()));
    auto again = accounts.add(alice());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::InvalidArgument);
    Account noHost = alice();
    noHost.address = "bob@example.org";
    noHost.smtp.host.clear();
    EXPECT_EQ(accounts.add(noHost).error().code, ErrorCode::InvalidArgument);
    Account notAnAddress = alice();
    notAnAddress.address = "bob";
    EXPECT_EQ(accounts.add(notAnAddress).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(accounts.list()->size(), 1U);
}

TEST(AccountStoreTest, UpdateAndRemove) {
    test::TempDir dir;
    Database db = test::openOrFail(dir.path() / "profile.db", "pass");
    AccountStore accounts(db);
    ASSERT_TRUE(accounts.add(alice()));
    Account changed = alice();
    changed.imap.port = 143;
    changed.imap.security = mail::Security::StartTls;
    changed.imap.secret = "new secret";
    changed.imap.pinnedSha256.clear();
    ASSERT_TRUE(accounts.update(changed));
    auto found = accounts.find("alice@example.org");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->imap.port, 143);
    EXPECT_EQ(found->smtp.secret, "new secret");
    EXPECT_TRUE(found->smtp.pinnedSha256.empty());

    ASSERT_TRUE(accounts.remove("alice@example.org"));
    EXPECT_EQ(accounts.find("alice@example.org").error().code, ErrorCode::NotFound);
    EXPECT_EQ(accounts.remove("alice@example.org").error().code, ErrorCode::NotFound);
    EXPECT_EQ(accounts.update(changed).error().code, ErrorCode::NotFound);
}

TEST(AccountStoreTest, SecretIsNotOnDiskInTheClear) {
    test::TempDir dir;
    const auto file = dir.path() / "profile.db";
    {
        Database db = test::openOrFail(file, "pass");
        AccountStore accounts(db);
        ASSERT_TRUE(accounts.add(alice()));
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        const std::string bytes = test::readFile(entry.path());
        EXPECT_EQ(bytes.find("alice secret"), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find("imap.example.org"), std::string::npos) << entry.path();
    }
}
