#pragma once
// A small SMTP server for engine tests (OutboxRunnerTest, BulkSenderTest).

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace sealpost::engine::test {

// What the server accepted: the envelope and the data (dot-unstuffed, CRLF line ends).
struct Received {
    std::string from;
    std::vector<std::string> to;
    std::string data;
};

// An SMTP peer for tests: no TLS, no AUTH, on 127.0.0.1, one thread per connection. A recipient
// whose local part is "refused" gets 550. After the end of a message's data it does what
// setAfterData() says: accept it (250), refuse it (451), or drop the connection without a reply
// (RFC 1047: the client cannot know whether the message was taken).
class SmtpTestPeer {
public:
    SmtpTestPeer() {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        auto* raw = reinterpret_cast<sockaddr*>(&address); // NOLINT(*-reinterpret-cast)
        if (::bind(m_listener, raw, length) != 0 || ::listen(m_listener, 16) != 0 ||
            ::getsockname(m_listener, raw, &length) != 0) {
            ADD_FAILURE() << "the SMTP test peer cannot listen";
        }
        m_port = ntohs(address.sin_port);
        m_acceptor = std::thread([this] { acceptLoop(); });
    }
    ~SmtpTestPeer() {
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
    SmtpTestPeer(const SmtpTestPeer&) = delete;
    SmtpTestPeer& operator=(const SmtpTestPeer&) = delete;

    enum class AfterData { Accept, Refuse, Drop };

    [[nodiscard]] int port() const { return m_port; }
    void setAfterData(AfterData a) { m_afterData = a; }
    // Messages whose end of data arrived, whatever the answer.
    [[nodiscard]] int endsOfData() const { return m_endsOfData; }

    // The messages accepted, in the order their data ended.
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
        bool open = sendLine(fd, "220 peer.test ESMTP");
        while (open && readLine(fd, buffer, line)) {
            const std::string verb = line.substr(0, 4);
            if (verb == "EHLO" || verb == "HELO") {
                open = sendLine(fd, "250-peer.test") && sendLine(fd, "250 8BITMIME");
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
                if (!open) {
                    break;
                }
                ++m_endsOfData;
                const AfterData after = m_afterData;
                if (after == AfterData::Drop) {
                    break; // the whole message is here; the client never hears so
                }
                if (after == AfterData::Refuse) {
                    open = sendLine(fd, "451 4.3.0 try again later");
                    continue;
                }
                {
                    const std::lock_guard lock(m_mutex);
                    m_received.push_back(current);
                }
                open = sendLine(fd, "250 2.0.0 queued");
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
    std::atomic<AfterData> m_afterData{AfterData::Accept};
    std::atomic<int> m_endsOfData{0};
};

} // namespace sealpost::engine::test
