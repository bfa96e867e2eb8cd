#include "engine/MessageSource.h"

#include "../store/StoreTestSupport.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sealpost::engine {
namespace {

using store::test::TempDir;
using store::test::writeFile;

std::vector<SourceMessage> readAll(MessageSource& source) {
    std::vector<SourceMessage> out;
    while (true) {
        auto next = source.next();
        EXPECT_TRUE(next.ok()) << (next.ok() ? "" : next.error().detail);
        if (!next.ok() || !*next) {
            break;
        }
        out.push_back(std::move(**next));
    }
    return out;
}

TEST(RestoreCrlf, BareLfBecomesCrlfOnlyWhenThereIsNoCrlfAtAll) {
    std::string lf = "a\nb\n\nc";
    restoreCrlf(lf);
    EXPECT_EQ(lf, "a\r\nb\r\n\r\nc");
    std::string mixed = "a\r\nb\nc";
    restoreCrlf(mixed);
    EXPECT_EQ(mixed, "a\r\nb\nc") << "a message with CRLF is left as it is (binary parts may hold LF)";
    std::string none = "abc";
    restoreCrlf(none);
    EXPECT_EQ(none, "abc");
}

TEST(Mbox, SplitsAtFromLinesAfterAnEmptyLineAndUndoesQuoting) {
    TempDir dir;
    writeFile(dir.path() / "box", "From alice@example.org Mon Jan  1 00:00:00 2026\n"
                                  "Subject: one\n\nFirst body.\n>From here on, quoted.\n>>From twice.\n\n\n"
                                  "From bob@example.org Mon Jan  1 00:00:01 2026\n"
                                  "Subject: two\n\nA line, then\nFrom in the middle of a paragraph is no separator.\n\n"
                                  "From carol@example.org Mon Jan  1 00:00:02 2026\n"
                                  "Subject: three\n\nLast, without a final newline");
    auto source = openMbox(dir.path() / "box");
    ASSERT_TRUE(source.ok());
    const auto messages = readAll(**source);
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0].data, "Subject: one\r\n\r\nFirst body.\r\nFrom here on, quoted.\r\n>From twice.\r\n\r\n");
    EXPECT_EQ(messages[1].data,
              "Subject: two\r\n\r\nA line, then\r\nFrom in the middle of a paragraph is no separator.\r\n");
    EXPECT_EQ(messages[2].data, "Subject: three\r\n\r\nLast, without a final newline\r\n");
    EXPECT_EQ(messages[1].label, (dir.path() / "box").string() + "#2");
    EXPECT_EQ((*source)->bytesRead(), (*source)->bytesTotal());
}

TEST(Mbox, OversizedMessageIsReportedAndTheNextOneStillRead) {
    TempDir dir;
    writeFile(dir.path() / "box",
              "From a\nSubject: big\n\n" + std::string(200, 'x') + "\n\nFrom b\nSubject: small\n\nok\n");
    auto source = openMbox(dir.path() / "box", {.maxMessageBytes = 100});
    ASSERT_TRUE(source.ok());
    const auto messages = readAll(**source);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_NE(messages[0].error.find("larger than 100 bytes"), std::string::npos);
    EXPECT_TRUE(messages[0].data.empty());
    EXPECT_TRUE(messages[1].error.empty());
    EXPECT_EQ(messages[1].data, "Subject: small\r\n\r\nok\r\n");
}

TEST(Mbox, NotAnMboxIsAnError) {
    TempDir dir;
    writeFile(dir.path() / "note.txt", "Subject: not a mailbox\n\n");
    auto source = openMbox(dir.path() / "note.txt");
    ASSERT_TRUE(source.ok());
    auto first = (*source)->next();
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.error().code, base::ErrorCode::Io);
    EXPECT_NE(first.error().detail.find("not an mbox"), std::string::npos);

    EXPECT_FALSE(openMbox(dir.path() / "missing").ok());
    writeFile(dir.path() / "empty", "");
    auto empty = openMbox(dir.path() / "empty");
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(readAll(**empty).empty());
}

TEST(Maildir, ReadsCurAndNewInNameOrderAndSkipsTmp) {
    TempDir dir;
    for (const char* sub : {"cur", "new", "tmp"}) {
        std::filesystem::create_directories(dir.path() / sub);
    }
    writeFile(dir.path() / "new" / "2.host", "Subject: b\n\nB\n");
    writeFile(dir.path() / "cur" / "1.host:2,S", "Subject: a\r\n\r\nA\r\n");
    writeFile(dir.path() / "tmp" / "3.host", "Subject: in delivery\n\n");
    writeFile(dir.path() / "cur" / ".hidden", "x");
    auto source = openMaildir(dir.path());
    ASSERT_TRUE(source.ok());
    const auto messages = readAll(**source);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0].data, "Subject: a\r\n\r\nA\r\n");
    EXPECT_EQ(messages[1].data, "Subject: b\r\n\r\nB\r\n");
    EXPECT_EQ(messages[1].label, (dir.path() / "new" / "2.host").string());
}

TEST(Maildir, FolderWithoutCurOrNewIsRefused) {
    TempDir dir;
    auto source = openMaildir(dir.path());
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_FALSE(openMaildir(dir.path() / "missing").ok());
}

TEST(MessageFile, OneMessageOrAClearError) {
    TempDir dir;
    writeFile(dir.path() / "m.eml", "Subject: x\n\nbody\n");
    auto source = openMessageFile(dir.path() / "m.eml");
    ASSERT_TRUE(source.ok());
    const auto messages = readAll(**source);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].data, "Subject: x\r\n\r\nbody\r\n");
    auto missing = openMessageFile(dir.path() / "nope.eml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, base::ErrorCode::Io);
    EXPECT_NE(missing.error().detail.find("nope.eml"), std::string::npos);
}

} // namespace
} // namespace sealpost::engine
