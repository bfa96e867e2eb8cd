#include "mail/ImapResponse.h"

#include "mail/ImapClient.h"

#include <gtest/gtest.h>

using namespace sealpost;
using namespace sealpost::mail;
using base::ErrorCode;

TEST(ImapResponseTest, TaggedStatusWithCode) {
    auto r = parseImapResponse("S3 OK [APPENDUID 1795480338 17] Append completed.");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->tag, "S3");
    EXPECT_EQ(r->status, "OK");
    EXPECT_EQ(r->code, "APPENDUID 1795480338 17");
    EXPECT_EQ(r->text, "Append completed.");
    auto no = parseImapResponse("S4 no [TRYCREATE] Mailbox doesn't exist: X");
    ASSERT_TRUE(no);
    EXPECT_EQ(no->status, "NO");
    EXPECT_EQ(no->code, "TRYCREATE");
}

TEST(ImapResponseTest, UntaggedStatusAndData) {
    auto ok = parseImapResponse("* OK [UIDVALIDITY 1795480338] UIDs valid");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->tag, "*");
    EXPECT_EQ(ok->code, "UIDVALIDITY 1795480338");
    auto exists = parseImapResponse("* 23 EXISTS");
    ASSERT_TRUE(exists);
    ASSERT_EQ(exists->values.size(), 2U);
    EXPECT_EQ(exists->values[0].number(), 23U);
    EXPECT_TRUE(exists->values[1].isAtom("exists"));
    auto cont = parseImapResponse("+ OK");
    ASSERT_TRUE(cont);
    EXPECT_EQ(cont->tag, "+");
}

TEST(ImapResponseTest, ListEntries) {
    auto sent = listEntry(*parseImapResponse(R"(* LIST (\HasNoChildren \Sent) "/" Sent)"));
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->name, "Sent");
    EXPECT_EQ(sent->delimiter, "/");
    EXPECT_EQ(sent->specialUse, "sent");
    auto inbox = listEntry(*parseImapResponse(R"(* LIST () "." "inbox")"));
    ASSERT_TRUE(inbox);
    EXPECT_EQ(inbox->specialUse, "inbox");
    auto quoted = listEntry(*parseImapResponse(R"(* LIST (\Noselect) NIL "a \"b\" &AOQ-")"));
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->name, "a \"b\" &AOQ-"); // modified UTF-7 passed through unchanged
    EXPECT_EQ(quoted->delimiter, "");
    EXPECT_FALSE(quoted->selectable);
    auto literalName = listEntry(*parseImapResponse("* LIST () \"/\" {7}\r\nArchiv)"));
    ASSERT_TRUE(literalName);
    EXPECT_EQ(literalName->name, "Archiv)");
    EXPECT_FALSE(listEntry(*parseImapResponse("* 3 EXISTS")));
}

TEST(ImapResponseTest, FetchWithLiteralHeader) {
    const std::string header = "Subject: hi\r\nFrom: a@b\r\n\r\n";
    const std::string raw = "* 12 FETCH (UID 40 FLAGS (\\Seen \\Recent $Junk) RFC822.SIZE 300 INTERNALDATE "
                            "\"24-Nov-2026 00:32:18 +0100\" BODY[HEADER] {" +
                            std::to_string(header.size()) + "}\r\n" + header + ")";
    auto r = parseImapResponse(raw);
    ASSERT_TRUE(r) << r.error().detail;
    auto f = fetchEntry(*r);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->sequence, 12U);
    EXPECT_EQ(f->uid, 40U);
    ASSERT_TRUE(f->flags);
    EXPECT_EQ(f->flags->size(), 2U);
    EXPECT_EQ(f->size, 300U);
    EXPECT_EQ(f->internalDate, 1795480338 - 3600); // date -u -d '2026-11-24 00:32:18' +%s, minus 1 h
    EXPECT_EQ(f->header, header);
}

TEST(ImapResponseTest, LiteralContainingParenthesesAndFakeResponses) {
    const std::string body = ")\r\n* 1 FETCH (UID 9)\r\nS1 OK done\r\n{99}\r\n";
    const std::string raw = "* 1 FETCH (UID 5 BODY[] {" + std::to_string(body.size()) + "}\r\n" + body + " FLAGS ())";
    auto f = fetchEntry(*parseImapResponse(raw));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->uid, 5U);
    EXPECT_EQ(f->body, body);
    ASSERT_TRUE(f->flags);
    EXPECT_TRUE(f->flags->empty());
}

TEST(ImapResponseTest, MalformedInputIsAnError) {
    EXPECT_EQ(parseImapResponse("").error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(parseImapResponse("* 1 FETCH (UID 5").error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(parseImapResponse("* 1 FETCH (BODY[] {10}\r\nshort)").error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(parseImapResponse("* LIST \"unterminated").error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(parseImapResponse("S1 MAYBE fine").error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(parseImapResponse("* X " + std::string(100, '(')).error().code, ErrorCode::LimitExceeded);
}

TEST(ImapResponseTest, LiteralAnnouncements) {
    EXPECT_EQ(trailingLiteralSize("* 1 FETCH (BODY[] {123}"), 123U);
    EXPECT_EQ(trailingLiteralSize("A APPEND x {5+}"), 5U);
    EXPECT_FALSE(trailingLiteralSize("* OK {x}"));
    EXPECT_FALSE(trailingLiteralSize("* OK fine"));
}

TEST(ImapResponseTest, InternalDates) {
    EXPECT_EQ(parseInternalDate("01-Jan-1970 00:00:00 +0000"), 0);
    EXPECT_EQ(parseInternalDate(" 1-Jan-1970 01:00:00 +0100"), 0);
    EXPECT_EQ(parseInternalDate("1-Jan-1970 00:00:01 -0000"), 1);
    EXPECT_EQ(parseInternalDate("29-Feb-2024 12:00:00 +0000"), 1709208000);
    EXPECT_FALSE(parseInternalDate("29-Foo-2024 12:00:00 +0000"));
    EXPECT_FALSE(parseInternalDate("garbage"));
}

TEST(ImapResponseTest, UidSetsAndQuoting) {
    const std::uint64_t uids[] = {9, 1, 2, 3, 7, 10, 3};
    EXPECT_EQ(uidSet(uids), "1:3,7,9:10");
    EXPECT_EQ(imapQuote(R"(a"b\c)"), R"("a\"b\\c")");
}
