// ImapClient, MessageCache and MailSync against the Dovecot of tests/mail/mailserver.sh. Run by
// imap-integration.sh, which starts the servers and names their env file in SEALPOST_MAIL_ENV;
// skipped without it.
#include "../store/StoreTestSupport.h"
#include "MailFixtureEnv.h"
#include "engine/MailSync.h"
#include "mail/ImapClient.h"
#include "store/AccountStore.h"
#include "store/MessageCache.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>

using namespace sealpost;
using base::ErrorCode;

namespace {

class ImapIntegration : public ::testing::Test {
protected:
    void SetUp() override {
        m_env = test::readMailFixtureEnv();
        if (m_env.empty()) {
            GTEST_SKIP() << "SEALPOST_MAIL_ENV not set (run imap-integration.sh)";
        }
    }

    mail::ServerSettings settings(const std::string& user) {
        mail::ServerSettings s;
        s.host = m_env["MAIL_HOST"];
        s.port = std::stoi(m_env["MAIL_IMAPS_PORT"]);
        s.security = mail::Security::ImplicitTls;
        s.username = m_env["MAIL_USER_" + user];
        s.secret = m_env["MAIL_PASSWORD_" + user];
        s.pinnedSha256 = m_env["MAIL_CERT_SHA256"];
        s.connectTimeout = std::chrono::seconds(5);
        s.stallTimeout = std::chrono::seconds(10);
        return s;
    }

    std::map<std::string, std::string> m_env;
};

std::string message(const std::string& subject, const std::string& body = "Hello.\r\n") {
    return "From: Alice <alice@example.org>\r\nTo: bob@example.org, Carol <carol@example.org>\r\n"
           "Subject: " +
           subject + "\r\nMessage-ID: <" + subject + "@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n" +
           body;
}

std::uint64_t appendOrFail(mail::ImapClient& c, const std::string& folder, const std::string& raw) {
    auto uid = c.append(folder, base::asBytes(raw), {});
    EXPECT_TRUE(uid) << uid.error().detail;
    EXPECT_GT(uid ? *uid : 0U, 0U);
    return uid ? *uid : 0;
}

void emptyFolder(mail::ImapClient& c, const std::string& folder) {
    auto all = c.fetchFlags(folder);
    ASSERT_TRUE(all) << all.error().detail;
    for (const auto& m : *all) {
        ASSERT_TRUE(c.remove(folder, m.uid));
    }
}

} // namespace

TEST_F(ImapIntegration, ListsFoldersWithSpecialUse) {
    mail::ImapClient c(settings("alice"));
    auto folders = c.listFolders();
    ASSERT_TRUE(folders) << folders.error().detail;
    std::map<std::string, std::string> uses;
    for (const auto& f : *folders) {
        uses[f.name] = f.specialUse;
        EXPECT_EQ(f.delimiter, "/");
    }
    EXPECT_EQ(uses["INBOX"], "inbox");
    EXPECT_EQ(uses["Sent"], "sent");
    EXPECT_EQ(uses["Drafts"], "drafts");
    EXPECT_EQ(uses["Trash"], "trash");
    EXPECT_EQ(uses["Junk"], "junk");
}

TEST_F(ImapIntegration, AppendFetchFlagsMoveRemoveRoundTrip) {
    mail::ImapClient c(settings("alice"));
    const std::string raw = message("roundtrip", "Line one.\r\n* 1 FETCH (not a response)\r\n{5}\r\nend\r\n");
    const std::string seen[] = {"\\Seen"};
    auto uid = c.append("INBOX", base::asBytes(raw), seen);
    ASSERT_TRUE(uid) << uid.error().detail;
    ASSERT_GT(*uid, 0U);

    std::string fetched;
    base::StringSink sink(fetched);
    ASSERT_TRUE(c.fetchMessage("INBOX", *uid, sink));
    EXPECT_EQ(fetched, raw);

    const std::string flagged[] = {"\\Flagged", "$Label1"};
    ASSERT_TRUE(c.setFlags("INBOX", *uid, flagged, seen));
    auto flags = c.fetchFlags("INBOX", *uid);
    ASSERT_TRUE(flags);
    ASSERT_EQ(flags->size(), 1U);
    EXPECT_EQ(store::joinFlags(flags->front().flags), "$Label1 \\Flagged");

    const std::uint64_t uids[] = {*uid};
    int headers = 0;
    ASSERT_TRUE(c.fetchHeaders("INBOX", uids, [&](mail::MessageHeader&& m) -> base::Result<void> {
        ++headers;
        EXPECT_EQ(m.uid, *uid);
        EXPECT_EQ(m.size, raw.size());
        EXPECT_GT(m.internalDate, 1700000000);
        EXPECT_EQ(m.header, raw.substr(0, raw.find("\r\n\r\n") + 4));
        return base::Ok{};
    }));
    EXPECT_EQ(headers, 1);

    EXPECT_EQ(c.move("INBOX", *uid, "NoSuchFolder").error().code, ErrorCode::NotFound);
    auto before = c.status("Trash");
    ASSERT_TRUE(before) << before.error().detail;
    ASSERT_TRUE(c.move("INBOX", *uid, "Trash"));
    auto after = c.status("Trash");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->exists, before->exists + 1);
    std::string gone;
    base::StringSink goneSink(gone);
    EXPECT_EQ(c.fetchMessage("INBOX", *uid, goneSink).error().code, ErrorCode::NotFound);

    auto inTrash = c.fetchFlags("Trash", before->uidNext);
    ASSERT_TRUE(inTrash);
    ASSERT_EQ(inTrash->size(), 1U);
    ASSERT_TRUE(c.remove("Trash", inTrash->front().uid));
    auto finally = c.status("Trash");
    ASSERT_TRUE(finally);
    EXPECT_EQ(finally->exists, before->exists);
}

TEST_F(ImapIntegration, LargeMessageRoundTripsByteIdentical) {
    std::string body;
    body.reserve(26U << 20U);
    std::uint32_t state = 7; // a fixed, cheap pseudo-random text (LCG): reproducible runs
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (body.size() < (25U << 20U)) {
        for (int i = 0; i < 76; ++i) {
            state = state * 1664525U + 1013904223U;
            body.push_back(kAlphabet[(state >> 24U) % 64U]);
        }
        body += "\r\n";
    }
    const std::string raw = message("large", body);
    mail::ImapClient c(settings("alice"));
    auto uid = c.append("Drafts", base::asBytes(raw), {});
    ASSERT_TRUE(uid) << uid.error().detail;
    std::string fetched;
    fetched.reserve(raw.size());
    base::StringSink sink(fetched);
    ASSERT_TRUE(c.fetchMessage("Drafts", *uid, sink));
    EXPECT_TRUE(fetched == raw) << "sizes " << fetched.size() << " vs " << raw.size();
    EXPECT_TRUE(c.remove("Drafts", *uid));
}

TEST_F(ImapIntegration, ConnectionErrorsAreClassified) {
    auto wrongPassword = settings("carol");
    wrongPassword.secret = "not the password";
    mail::ImapClient a(wrongPassword);
    EXPECT_EQ(a.connect().error().code, ErrorCode::AuthFailed);

    auto wrongPort = settings("carol");
    wrongPort.port = 1; // nothing listens there
    mail::ImapClient b(wrongPort);
    EXPECT_EQ(b.connect().error().code, ErrorCode::Unreachable);

    auto unpinned = settings("carol");
    unpinned.pinnedSha256.clear();
    mail::ImapClient d(unpinned);
    const auto untrusted = d.connect();
    ASSERT_FALSE(untrusted);
    EXPECT_EQ(untrusted.error().code, ErrorCode::UntrustedServer);
    EXPECT_NE(untrusted.error().detail.find(m_env["MAIL_CERT_SHA256"]), std::string::npos);

    mail::ImapClient e(settings("carol"));
    EXPECT_TRUE(e.connect());
    auto caFile = settings("carol");
    caFile.pinnedSha256.clear();
    caFile.host = "localhost";
    caFile.caFile = m_env["MAIL_CERT"];
    mail::ImapClient f(caFile);
    EXPECT_TRUE(f.connect());

    auto starttls = settings("carol");
    starttls.port = std::stoi(m_env["MAIL_IMAP_PORT"]);
    starttls.security = mail::Security::StartTls;
    mail::ImapClient g(starttls);
    auto folders = g.listFolders();
    EXPECT_TRUE(folders) << folders.error().detail;
}

TEST_F(ImapIntegration, SyncAddsUpdatesExpungesAndResumes) {
    mail::ImapClient c(settings("bob"));
    emptyFolder(c, "INBOX");
    std::vector<std::uint64_t> uids;
    uids.reserve(35);
    for (int i = 0; i < 35; ++i) {
        uids.push_back(appendOrFail(c, "INBOX", message("sync-" + std::to_string(i))));
    }

    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "profile.db", "pass");
    store::Account account;
    account.address = "bob@example.org";
    account.imap = settings("bob");
    account.smtp = account.imap;
    auto accountId = store::AccountStore(db).add(account);
    ASSERT_TRUE(accountId) << accountId.error().detail;
    store::MessageCache cache(db);
    mail::ImapFolder inbox{"INBOX", "/", "inbox", true};

    // Interrupted after the first batch (the connection is dropped mid-command) ...
    std::atomic<bool> cancel{false};
    engine::SyncOptions options;
    options.batchSize = 10;
    options.cancel = &cancel;
    options.progress = [&](const engine::SyncProgress& p) {
        if (p.phase == "headers" && p.done >= 10) {
            cancel = true;
        }
    };
    mail::ImapClient syncer(settings("bob"));
    syncer.setCancelFlag(&cancel);
    auto first = engine::syncFolder(syncer, db, cache, *accountId, inbox, options);
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().code, ErrorCode::Cancelled);
    auto folder = cache.folder(*accountId, "INBOX");
    ASSERT_TRUE(folder);
    auto partial = cache.list(folder->id);
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->size(), 10U);

    // ... and the next sync completes it.
    cancel = false;
    options.progress = {};
    auto second = engine::syncFolder(syncer, db, cache, *accountId, inbox, options);
    ASSERT_TRUE(second) << second.error().detail;
    EXPECT_EQ(second->added, 25U);
    auto all = cache.list(folder->id);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 35U);
    EXPECT_EQ(all->front().summary.subject, "sync-0");
    EXPECT_EQ(all->front().summary.from, "alice@example.org");
    EXPECT_EQ(all->front().summary.to, "bob@example.org, carol@example.org");
    EXPECT_EQ(all->front().summary.messageId, "<sync-0@example.org>");

    // Flag change and expunge on the server, seen by the next sync.
    const std::string answered[] = {"\\Answered"};
    ASSERT_TRUE(c.setFlags("INBOX", uids[3], answered, {}));
    ASSERT_TRUE(c.remove("INBOX", uids[4]));
    ASSERT_TRUE(c.remove("INBOX", uids[5]));
    const std::uint64_t added = appendOrFail(c, "INBOX", message("sync-late"));
    auto third = engine::syncFolder(syncer, db, cache, *accountId, inbox, options);
    ASSERT_TRUE(third) << third.error().detail;
    EXPECT_EQ(third->added, 1U);
    EXPECT_EQ(third->flagsUpdated, 1U);
    EXPECT_EQ(third->expunged, 2U);
    auto m3 = cache.message(folder->id, uids[3]);
    ASSERT_TRUE(m3);
    EXPECT_EQ(m3->flags, "\\Answered");
    EXPECT_EQ(cache.message(folder->id, uids[4]).error().code, ErrorCode::NotFound);
    EXPECT_TRUE(cache.message(folder->id, added));

    // Bodies: fetched byte-identical, with the inspection summary stored.
    options.fetchBodies = true;
    options.inspect = [](std::string&& raw) -> base::Result<std::string> {
        return std::string(R"({"bytes":)") + std::to_string(raw.size()) + "}";
    };
    auto fourth = engine::syncFolder(syncer, db, cache, *accountId, inbox, options);
    ASSERT_TRUE(fourth) << fourth.error().detail;
    EXPECT_EQ(fourth->added, 0U);
    EXPECT_EQ(fourth->bodiesFetched, 34U);
    auto body = cache.body(folder->id, added);
    ASSERT_TRUE(body && body->has_value());
    EXPECT_EQ(**body, message("sync-late"));
    auto withBody = cache.message(folder->id, added);
    ASSERT_TRUE(withBody);
    EXPECT_TRUE(withBody->hasBody);
    EXPECT_EQ(withBody->security, R"({"bytes":)" + std::to_string(message("sync-late").size()) + "}");
    auto state = cache.folder(*accountId, "INBOX");
    ASSERT_TRUE(state);
    EXPECT_GT(state->uidValidity, 0U);
    EXPECT_EQ(state->uidNext, added + 1);
}

TEST_F(ImapIntegration, SyncAccountCoversEveryFolder) {
    store::test::TempDir dir;
    store::Database db = store::test::openOrFail(dir.path() / "profile.db", "pass");
    store::Account account;
    account.address = "carol@example.org";
    account.imap = settings("carol");
    account.smtp = account.imap;
    auto accountId = store::AccountStore(db).add(account);
    ASSERT_TRUE(accountId);
    store::MessageCache cache(db);
    mail::ImapClient c(settings("carol"));
    const std::uint64_t sent = appendOrFail(c, "Sent", message("carol-sent"));
    auto results = engine::syncAccount(c, db, cache, *accountId, "", {});
    ASSERT_TRUE(results) << results.error().detail;
    EXPECT_EQ(results->size(), 5U);
    auto folders = cache.folders(*accountId);
    ASSERT_TRUE(folders);
    ASSERT_EQ(folders->size(), 5U);
    EXPECT_EQ(folders->front().name, "INBOX");
    auto sentFolder = cache.folder(*accountId, "Sent");
    ASSERT_TRUE(sentFolder);
    EXPECT_EQ(sentFolder->specialUse, "sent");
    EXPECT_TRUE(cache.message(sentFolder->id, sent));
    EXPECT_EQ(engine::syncAccount(c, db, cache, *accountId, "NoSuchFolder", {}).error().code, ErrorCode::NotFound);
    EXPECT_TRUE(c.remove("Sent", sent));
}
