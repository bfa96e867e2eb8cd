// BulkSender::run against a small SMTP server in the test (plain, loopback): outcomes, the
// journal across runs, a server that goes silent after the data, and a stopped run. The same
// flows through Postfix are in tests/app/bulk-e2e-test.sh.
#include "EngineTestSupport.h"
#include "engine/BulkSend.h"
#include "store/IdentityStore.h"

#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sealpost::engine {
namespace {

using namespace test;

// What the server accepted: the envelope and the data (dot-unstuffed, CRLF line ends).
struct Received {
    std::string from;
    std::vector<std::string> to;
    std::string data;
};

// SMTP without TLS or AUTH on 127.0.0.1, one thread per connection. A recipient whose local part
// is "refused" gets 550. With silentAfterData set, a message is read to its end and the connection
// then closed without an answer: the client cannot know whether it was taken.
class FakeSmtpServer {
public:
    FakeSmtpServer() {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        auto* raw = reinterpret_cast<sockaddr*>(&address); // NOLINT(*-reinterpret-cast)
        if (::bind(m_listener, raw, length) != 0 || ::listen(m_listener, 16) != 0 ||
            ::getsockname(m_listener, raw, &length) != 0) {
            ADD_FAILURE() << "the fake SMTP server cannot listen";
        }
        m_port = ntohs(address.sin_port);
        m_acceptor = std::thread([this] { acceptLoop(); });
    }
    ~FakeSmtpServer() {
        ::shutdown(m_listener, SHUT_RDWR); // wakes accept()
        m_acceptor.join();
        ::close(m_listener);
        {
            const std::lock_guard lock(m_mutex);
            for (const int fd : m_open) {
                ::shutdown(fd, SHUT_RDWR);
            }
        }
        for (auto& t : m_sessions) {
            t.join();
        }
    }
    FakeSmtpServer(const FakeSmtpServer&) = delete;
    FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

    [[nodiscard]] int port() const { return m_port; }
    std::atomic<bool> silentAfterData{false};

    std::vector<Received> received() {
        const std::lock_guard lock(m_mutex);
        return m_received;
    }

private:
    void acceptLoop() {
        for (;;) {
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0) {
                return;
            }
            const std::lock_guard lock(m_mutex);
            m_open.push_back(fd);
            m_sessions.emplace_back([this, fd] { session(fd); });
        }
    }

    static bool sendLine(int fd, const std::string& line) {
        const std::string out = line + "\r\n";
        return ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
    }

    // Reads one line (without its CRLF) from fd through buffer; false at the end of the stream.
    static bool readLine(int fd, std::string& buffer, std::string& line) {
        for (;;) {
            if (const auto end = buffer.find("\r\n"); end != std::string::npos) {
                line = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                return true;
            }
            std::array<char, 4096> chunk{};
            const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
            if (n <= 0) {
                return false;
            }
            buffer.append(chunk.data(), static_cast<std::size_t>(n));
        }
    }

    static std::string pathOf(const std::string& command) {
        const auto open = command.find('<');
        const auto close = command.find('>', open);
        return open == std::string::npos || close == std::string::npos ? ""
                                                                       : command.substr(open + 1, close - open - 1);
    }

    void session(int fd) {
        std::string buffer;
        std::string line;
        Received current;
        bool open = sendLine(fd, "220 fake.test ESMTP");
        while (open && readLine(fd, buffer, line)) {
            const std::string verb = line.substr(0, 4);
            if (verb == "EHLO" || verb == "HELO") {
                open = sendLine(fd, "250 fake.test");
            } else if (verb == "MAIL") {
                current = Received{pathOf(line), {}, ""};
                open = sendLine(fd, "250 2.1.0 ok");
            } else if (verb == "RCPT") {
                const std::string to = pathOf(line);
                if (to.starts_with("refused@")) {
                    open = sendLine(fd, "550 5.1.1 <" + to + ">: no such user");
                } else {
                    current.to.push_back(to);
                    open = sendLine(fd, "250 2.1.5 ok");
                }
            } else if (verb == "DATA") {
                open = sendLine(fd, "354 go ahead");
                while (open && (open = readLine(fd, buffer, line)) && line != ".") {
                    current.data += (line.starts_with("..") ? line.substr(1) : line) + "\r\n";
                }
                if (open && silentAfterData) {
                    break; // the whole message is here; the client never hears so
                }
                if (open) {
                    const std::lock_guard lock(m_mutex);
                    m_received.push_back(current);
                }
                open = open && sendLine(fd, "250 2.0.0 queued");
            } else if (verb == "RSET" || verb == "NOOP") {
                open = sendLine(fd, "250 2.0.0 ok");
            } else if (verb == "QUIT") {
                sendLine(fd, "221 2.0.0 bye");
                break;
            } else {
                open = sendLine(fd, "502 5.5.2 not implemented");
            }
        }
        const std::lock_guard lock(m_mutex);
        std::erase(m_open, fd);
        ::close(fd);
    }

    int m_listener = -1;
    int m_port = 0;
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_sessions;
    std::vector<int> m_open;
    std::vector<Received> m_received;
};

class BulkSenderTest : public ::testing::Test {
protected:
    store::test::TempDir m_dir;
    store::Database m_db = store::test::openOrFail(m_dir.path() / "profile.db", "pw");
    base::FixedClock m_clock{checkTime()};
    FakeSmtpServer m_server;
    std::filesystem::path m_batch = m_dir.path() / "batch.jsonl";

    void SetUp() override {
        auto added = store::IdentityStore(m_db, m_clock).add(loadIdentity("alice"), store::IdentityRole::Both);
        ASSERT_TRUE(added.ok()) << added.error().detail;
        for (const std::string who : {"bob", "carol"}) {
            auto done = store::CorrespondentStore(m_db, m_clock)
                            .remember({.address = who + "@example.org",
                                       .cert = loadCertificate(who + ".cert.pem"),
                                       .provenance = {store::ProvenanceKind::Harvested, "<" + who + "@test>"},
                                       .seenAt = signTime(),
                                       .signingTime = signTime(),
                                       .capabilities = std::nullopt,
                                       .encryptionKeyPreference = false});
            ASSERT_TRUE(done.ok()) << done.error().detail;
        }
    }

    [[nodiscard]] store::Account account(int port) const {
        store::Account a;
        a.address = "alice@example.org";
        a.smtp.host = "127.0.0.1";
        a.smtp.port = port;
        a.smtp.security = mail::Security::Plain;
        a.smtp.allowPlaintext = true;
        return a;
    }

    void writeBatch(const std::vector<std::string>& recipients) {
        std::ofstream out(m_batch, std::ios::binary | std::ios::trunc);
        int n = 0;
        for (const auto& to : recipients) {
            out << R"({"to": ")" << to << R"(", "subject": "Statement )" << ++n
                << R"(", "body": "Your statement is ready.\n"})" << '\n';
        }
    }

    BulkSummary run(const BulkOptions& options, int port = 0) {
        BulkSender sender(m_db, m_clock, account(port == 0 ? m_server.port() : port), nullptr);
        auto summary = sender.run(m_batch, options);
        EXPECT_TRUE(summary.ok()) << (summary.ok() ? "" : summary.error().detail);
        return summary.ok() ? std::move(*summary) : BulkSummary{};
    }

    static BulkOptions options(unsigned parallelism = 2) {
        BulkOptions o;
        o.parallelism = parallelism;
        o.syncJournal = false; // the journal's fdatasync is not what these tests are about
        return o;
    }
};

bool isEncrypted(const Received& r) {
    return r.data.find("Content-Type: application/pkcs7-mime") != std::string::npos;
}
bool isSignedOnly(const Received& r) {
    return r.data.find("Content-Type: multipart/signed") != std::string::npos && !isEncrypted(r);
}

TEST_F(BulkSenderTest, EncryptsWhereAKeyIsKnownSendsTheRestSignedAndAResumeSendsNothingAgain) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org", "erin@example.org"});
    std::vector<BulkProgress> progress;
    BulkOptions o = options();
    o.progress = [&](const BulkProgress& p) { progress.push_back(p); };
    const BulkSummary s = run(o);
    EXPECT_EQ(s.total, 4U);
    EXPECT_EQ(s.encrypted, 2U);
    EXPECT_EQ(s.plain, 2U);
    EXPECT_EQ(s.failed + s.skipped + s.unconfirmed + s.notAttempted, 0U);
    EXPECT_FALSE(s.stoppedBy.has_value());
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().done, 4U);
    EXPECT_EQ(progress.back().total, 4U);

    const auto got = m_server.received();
    ASSERT_EQ(got.size(), 4U);
    for (const Received& r : got) {
        EXPECT_EQ(r.from, "alice@example.org");
        ASSERT_EQ(r.to.size(), 1U);
        const bool hasKey = r.to[0] == "bob@example.org" || r.to[0] == "carol@example.org";
        EXPECT_EQ(isEncrypted(r), hasKey) << r.to[0];
        EXPECT_EQ(isSignedOnly(r), !hasKey) << r.to[0];
        EXPECT_NE(r.data.find("Message-ID: <bulk."), std::string::npos) << r.data.substr(0, 400);
    }

    const BulkSummary again = run(options());
    EXPECT_EQ(again.alreadyDone, 4U);
    EXPECT_EQ(again.encrypted + again.plain + again.failed + again.unconfirmed, 0U);
    EXPECT_EQ(m_server.received().size(), 4U);
}

TEST_F(BulkSenderTest, SkipLeavesRecipientsWithoutAKeyUnsentAndSaysWhy) {
    writeBatch({"bob@example.org", "dave@example.org"});
    BulkOptions o = options();
    o.noKey = NoKeyAction::Skip;
    const BulkSummary s = run(o);
    EXPECT_EQ(s.encrypted, 1U);
    EXPECT_EQ(s.skipped, 1U);
    ASSERT_EQ(s.problems.size(), 1U);
    EXPECT_EQ(s.problems[0].line, 2U);
    EXPECT_EQ(s.problems[0].outcome, BulkOutcome::Skipped);
    EXPECT_EQ(s.problems[0].reason, "recipient-without-key");
    EXPECT_NE(s.problems[0].detail.find("dave@example.org"), std::string::npos) << s.problems[0].detail;
    const auto got = m_server.received();
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].to, std::vector<std::string>{"bob@example.org"});
}

TEST_F(BulkSenderTest, ARefusedRecipientFailsItsOwnItemOnly) {
    writeBatch({"bob@example.org", "refused@example.org", "carol@example.org"});
    const BulkSummary s = run(options(1));
    EXPECT_EQ(s.encrypted, 2U);
    EXPECT_EQ(s.failed, 1U);
    EXPECT_FALSE(s.stoppedBy.has_value());
    ASSERT_EQ(s.problems.size(), 1U);
    EXPECT_EQ(s.problems[0].line, 2U);
    EXPECT_EQ(s.problems[0].reason, "smtp-refused");
    EXPECT_NE(s.problems[0].detail.find("550"), std::string::npos) << s.problems[0].detail;
    EXPECT_EQ(m_server.received().size(), 2U);
}

// The kill -9 case at the server's end: the message was transmitted, the answer never came.
TEST_F(BulkSenderTest, NoAnswerAfterTheDataIsUnconfirmedAndNotSentAgainUnlessAsked) {
    writeBatch({"dave@example.org"});
    m_server.silentAfterData = true;
    const BulkSummary first = run(options(1));
    EXPECT_EQ(first.unconfirmed, 1U);
    ASSERT_EQ(first.problems.size(), 1U);
    EXPECT_EQ(first.problems[0].reason, "no-reply-after-data");
    EXPECT_TRUE(m_server.received().empty());

    m_server.silentAfterData = false;
    const BulkSummary resumed = run(options(1));
    EXPECT_EQ(resumed.unconfirmed, 1U);
    EXPECT_EQ(resumed.plain, 0U);
    EXPECT_TRUE(m_server.received().empty()); // the server may have it: not sent again on its own

    BulkOptions resend = options(1);
    resend.resendUnconfirmed = true;
    const BulkSummary forced = run(resend);
    EXPECT_EQ(forced.plain, 1U);
    EXPECT_EQ(forced.unconfirmed, 0U);
    EXPECT_EQ(m_server.received().size(), 1U);
}

TEST_F(BulkSenderTest, AnUnreachableServerStopsTheRunAndTheRestWaitsForAResume) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org"});
    const BulkSummary s = run(options(1), 1); // nothing listens on port 1
    ASSERT_TRUE(s.stoppedBy.has_value());
    EXPECT_EQ(s.stoppedBy->code, base::ErrorCode::Unreachable) << s.stoppedBy->detail;
    EXPECT_EQ(s.encrypted + s.plain, 0U);
    EXPECT_EQ(s.failed + s.notAttempted, 3U);

    const BulkSummary resumed = run(options(1)); // the server is there now
    EXPECT_EQ(resumed.encrypted, 2U);
    EXPECT_EQ(resumed.plain, 1U);
    EXPECT_EQ(m_server.received().size(), 3U);
}

TEST_F(BulkSenderTest, ACancelledRunSendsNothingMoreAndTheResumeSendsTheRest) {
    writeBatch({"bob@example.org", "dave@example.org", "carol@example.org"});
    const std::atomic<bool> cancel{true};
    BulkOptions o = options(1);
    o.cancel = &cancel;
    const BulkSummary s = run(o);
    EXPECT_TRUE(s.cancelled);
    EXPECT_EQ(s.notAttempted + s.encrypted + s.plain, 3U);
    const std::size_t sentBefore = m_server.received().size();
    EXPECT_EQ(sentBefore, s.encrypted + s.plain);

    const BulkSummary resumed = run(options(1));
    EXPECT_EQ(resumed.alreadyDone, sentBefore);
    EXPECT_EQ(resumed.encrypted + resumed.plain, 3U - sentBefore);
    EXPECT_EQ(m_server.received().size(), 3U);
}

TEST_F(BulkSenderTest, AnAccountWithoutASigningIdentityIsRefusedBeforeAnythingIsSent) {
    writeBatch({"bob@example.org"});
    store::Account other = account(m_server.port());
    other.address = "nobody@example.org";
    auto refused = BulkSender(m_db, m_clock, other, nullptr).run(m_batch, options());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, base::ErrorCode::InvalidArgument);
    EXPECT_NE(refused.error().detail.find("nobody@example.org"), std::string::npos) << refused.error().detail;
    EXPECT_TRUE(m_server.received().empty());
}

} // namespace
} // namespace sealpost::engine
