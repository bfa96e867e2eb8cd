#include "keydir/HttpServer.h"

#include "MemoryCertStore.h"
#include "keydir/Api.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace sealpost::keydir {
namespace {

// The HTTP layer on a real socket, with the in-memory store: framing, keep-alive, limits and
// headers. (The executable with a real database is exercised by keydir-api-test.sh.)
class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ApiConfig config;
        config.clientLimit = {1000, 1000};
        config.maxBody = 4096;
        api = std::make_unique<Api>(store, config, clock, nullptr);
        HttpServerConfig http;
        http.threads = 2;
        http.maxBodyBytes = 4096;
        server = std::make_unique<HttpServer>(*api, http);
        ASSERT_TRUE(server->listen());
        const std::string bound = server->boundAddress();
        ASSERT_TRUE(bound.starts_with("127.0.0.1:")) << bound;
        port = static_cast<unsigned short>(std::stoi(bound.substr(10)));
        runner = std::thread([this] { server->run(false); });
    }
    void TearDown() override {
        server->stop();
        runner.join();
    }

    int connectToServer() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        timeval timeout{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        return fd;
    }
    static void sendAll(int fd, const std::string& data) {
        ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
    }
    // Reads until the peer closes (or the timeout).
    static std::string readAll(int fd) {
        std::string out;
        char buf[4096];
        for (ssize_t n = 0; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
    std::string exchange(const std::string& request) const {
        const int fd = connectToServer();
        sendAll(fd, request);
        std::string out = readAll(fd);
        ::close(fd);
        return out;
    }

    test::MemoryCertStore store;
    base::SystemClock clock;
    std::unique_ptr<Api> api;
    std::unique_ptr<HttpServer> server;
    std::thread runner;
    unsigned short port = 0;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    const std::string two = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /v1/certs/alice@example.org HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const std::string out = exchange(two);
    const std::size_t second = out.find("HTTP/1.1 404");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    ASSERT_NE(second, std::string::npos) << out;
    EXPECT_NE(out.find("{\"status\":\"ok\"}"), std::string::npos);
    EXPECT_NE(out.find("Cache-Control: public, max-age=300\r\n", second), std::string::npos) << out;
    EXPECT_NE(out.find("ETag: \""), std::string::npos);
    EXPECT_NE(out.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(out.find("Date: "), std::string::npos);
}

TEST_F(HttpServerTest, HeadSendsTheLengthButNoBody) {
    const std::string out = exchange("HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("Content-Length: 15\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
}

TEST_F(HttpServerTest, PostWithoutLengthIsRefusedUnread) {
    const std::string out = exchange("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                     "Content-Type: application/json\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 411 Length Required\r\n")) << out;
    EXPECT_NE(out.find("length-required"), std::string::npos);
}

TEST_F(HttpServerTest, BodyOverTheLimitIsRefusedUnread) {
    const std::string out = exchange("POST /v1/certs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                     "Content-Length: 5000\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << out;
    EXPECT_NE(out.find("\"too-large\""), std::string::npos);
}

TEST_F(HttpServerTest, HeadersOverEightKilobytesCloseTheConnection) {
    const std::string out =
        exchange("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(9000, 'a') + "\r\n\r\n");
    EXPECT_EQ(out.find("200 OK"), std::string::npos) << out.substr(0, 100);
}

TEST_F(HttpServerTest, BodyIsPassedThrough) {
    const std::string body = R"({"addresses": ["alice@example.org"]})";
    const std::string out = exchange("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "Connection: close\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("\"address\":\"alice@example.org\""), std::string::npos) << out;
    EXPECT_NE(out.find("Cache-Control: no-store\r\n"), std::string::npos) << out;
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
    const std::string body = R"({"addresses": ["alice@example.org"]})";
    const int fd = connectToServer();
    sendAll(fd, "POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                "Connection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n");
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
    sendAll(fd, body);
    const std::string out = readAll(fd);
    ::close(fd);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
}

TEST_F(HttpServerTest, RetryAfterAndAllowHeaders) {
    const std::string out = exchange("DELETE /v1/certs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << out;
    EXPECT_NE(out.find("Allow: POST\r\n"), std::string::npos) << out;
}

TEST_F(HttpServerTest, StopEndsIdleConnections) {
    const int fd = connectToServer();
    sendAll(fd, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[1024];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0); // the answer; the connection stays open
    server->stop();
    runner.join(); // returns although the client never closes
    runner = std::thread([] {});
    ::close(fd);
}

} // namespace
} // namespace sealpost::keydir
