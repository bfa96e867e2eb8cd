#include "http/HttpServer.h"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace sealpost::http {
namespace {

// What the handler saw of a request, copied out of the borrowed views.
struct Seen {
    std::string method;
    std::string target;
    std::string peer;
    std::vector<std::pair<std::string, std::string>> fields;
    std::optional<std::string> testHeader; // looked up as "x-TEST-header"
    bool hasContentLength = false;
    bool bodyTooLarge = false;
    std::string body;
};

// A few routes, enough to exercise the transport.
class TestHandler final : public Handler {
public:
    Response handle(const Request& request) override {
        {
            const std::lock_guard lock(m_mutex);
            Seen& seen = m_seen.emplace_back();
            seen.method = request.method;
            seen.target = request.target;
            seen.peer = request.peerAddress;
            for (const Field& f : request.fields) {
                seen.fields.emplace_back(f.name, f.value);
            }
            if (auto v = request.header("x-TEST-header")) {
                seen.testHeader = std::string(*v);
            }
            seen.hasContentLength = request.hasContentLength;
            seen.bodyTooLarge = request.bodyTooLarge;
            seen.body = request.body;
        }
        const bool head = request.method == "HEAD";
        if (request.bodyTooLarge) {
            return text(413, "too-large", true);
        }
        if (request.method == "POST" && !request.hasContentLength) {
            return text(411, "length-required", true);
        }
        if (request.target == "/echo") {
            Response r = text(200, std::string(request.body), false);
            r.headers.push_back({"X-Seen", std::string(request.header("X-Test-Header").value_or("none"))});
            return r;
        }
        if (request.target == "/acme") {
            Response r;
            r.status = 201;
            r.headers = {{"Replay-Nonce", "abc_-123"},
                         {"Location", "https://ca.example/acme/order/7"},
                         {"Link", "<https://ca.example/directory>;rel=\"index\""},
                         {"Link", "<https://ca.example/acme/cert/7/1>;rel=\"alternate\""},
                         {"Retry-After", "30"},
                         {"Cache-Control", "no-store"},
                         {"Content-Type", "application/json"}};
            r.body = std::make_shared<const std::string>("{}");
            return r;
        }
        if (request.target == "/nonce") {
            Response r;
            r.status = head ? 200 : 204;
            r.headers = {{"Replay-Nonce", "n1"}};
            return r;
        }
        if (request.target == "/not-modified") {
            Response r;
            r.status = 304;
            r.headers = {{"ETag", "\"x\""}};
            r.body = shared;
            r.sendBody = false;
            return r;
        }
        if (request.target == "/injection") {
            Response r = text(200, "ok", false);
            r.headers.push_back({"X-Evil", "a\r\nSet-Cookie: x=y"});
            r.headers.push_back({"X-Bad\r\nName", "v"});
            r.headers.push_back({"X-Good", "fine"});
            return r;
        }
        if (request.target == "/throw") {
            throw std::runtime_error("the handler failed");
        }
        if (request.target == "/throw-int") {
            throw 7;
        }
        if (request.target == "/slow") {
            slowStarted = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        Response r;
        r.headers = {{"Content-Type", "text/plain"}};
        r.body = shared;
        r.sendBody = !head;
        return r;
    }

    std::vector<Seen> seen() {
        const std::lock_guard lock(m_mutex);
        return m_seen;
    }

    std::shared_ptr<const std::string> shared = std::make_shared<const std::string>("hello world\n");
    std::atomic<bool> slowStarted{false};

private:
    static Response text(int status, std::string body, bool close) {
        Response r;
        r.status = status;
        r.headers = {{"Content-Type", "text/plain"}};
        r.body = std::make_shared<const std::string>(std::move(body));
        r.closeConnection = close;
        return r;
    }

    std::mutex m_mutex;
    std::vector<Seen> m_seen;
};

class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        HttpServerConfig config;
        config.threads = 2;
        config.maxBodyBytes = 4096;
        config.serverName = "test-server";
        start(config);
    }
    void TearDown() override {
        if (runner.joinable()) {
            server->stop();
            runner.join();
        }
    }

    void start(const HttpServerConfig& config) {
        server = std::make_unique<HttpServer>(handler, config);
        auto listening = server->listen();
        ASSERT_TRUE(listening) << listening.error().detail;
        const std::string bound = server->boundAddress();
        ASSERT_TRUE(bound.starts_with("127.0.0.1:")) << bound;
        port = static_cast<unsigned short>(std::stoi(bound.substr(10)));
        runner = std::thread([this] { server->run(); });
    }
    void restart(const HttpServerConfig& config) {
        server->stop();
        runner.join();
        start(config);
    }

    [[nodiscard]] int connectToServer() const {
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
        std::array<char, 4096> buf{};
        for (ssize_t n = 0; (n = ::recv(fd, buf.data(), buf.size(), 0)) > 0;) {
            out.append(buf.data(), static_cast<std::size_t>(n));
        }
        return out;
    }
    [[nodiscard]] std::string exchange(const std::string& request) const {
        const int fd = connectToServer();
        sendAll(fd, request);
        std::string out = readAll(fd);
        ::close(fd);
        return out;
    }

    TestHandler handler;
    std::unique_ptr<HttpServer> server;
    std::thread runner;
    unsigned short port = 0;
};

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
        ++n;
    }
    return n;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    const std::string two = "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const std::string out = exchange(two);
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK\r\n"), 2U) << out;
    EXPECT_EQ(count(out, "hello world\n"), 2U) << out;
    EXPECT_EQ(count(out, "Content-Length: 12\r\n"), 2U) << out;
    EXPECT_EQ(count(out, "Server: test-server\r\n"), 2U) << out;
    EXPECT_EQ(count(out, "Date: "), 2U) << out;
    EXPECT_EQ(count(out, "Connection: close\r\n"), 1U) << out;
    const auto seen = handler.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].target, "/first");
    EXPECT_EQ(seen[1].target, "/second");
}

TEST_F(HttpServerTest, Http10ClosesUnlessAskedToKeepAlive) {
    const std::string out = exchange("GET / HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.0 200 OK\r\n")) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
    const std::string kept = exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(count(kept, "HTTP/1.0 200 OK\r\n"), 2U) << kept;
    EXPECT_NE(kept.find("Connection: keep-alive\r\n"), std::string::npos) << kept;
}

TEST_F(HttpServerTest, HeadSendsTheLengthButNoBody) {
    const std::string out = exchange("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("Content-Length: 12\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
}

TEST_F(HttpServerTest, PostWithoutLengthReachesTheHandlerUnread) {
    const std::string out = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                     "Content-Type: application/json\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 411 Length Required\r\n")) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
    const auto seen = handler.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_FALSE(seen[0].hasContentLength);
    EXPECT_TRUE(seen[0].body.empty());
}

TEST_F(HttpServerTest, BodyOverTheLimitIsRefusedUnread) {
    const std::string out = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                     "Content-Length: 5000\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << out;
    EXPECT_NE(out.find("too-large"), std::string::npos);
    const auto seen = handler.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_TRUE(seen[0].bodyTooLarge);
    EXPECT_TRUE(seen[0].body.empty());
}

TEST_F(HttpServerTest, HeadersOverTheLimitCloseTheConnection) {
    const std::string out = exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(9000, 'a') + "\r\n\r\n");
    EXPECT_EQ(out.find("200 OK"), std::string::npos) << out.substr(0, 100);
    EXPECT_TRUE(handler.seen().empty());
}

TEST_F(HttpServerTest, RequestReachesTheHandlerWhole) {
    const std::string body = R"({"addresses": ["alice@example.org"]})";
    const std::string out = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "X-Test-Header: first\r\nx-test-header: second\r\n"
                                     "Connection: close\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n" + body)) << out;
    EXPECT_NE(out.find("X-Seen: first\r\n"), std::string::npos) << out;
    const auto seen = handler.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].target, "/echo");
    EXPECT_EQ(seen[0].peer, "127.0.0.1");
    EXPECT_TRUE(seen[0].hasContentLength);
    EXPECT_FALSE(seen[0].bodyTooLarge);
    EXPECT_EQ(seen[0].body, body);
    EXPECT_EQ(seen[0].testHeader, "first");
    const std::vector<std::pair<std::string, std::string>> expected{{"Host", "x"},
                                                                    {"Content-Type", "application/json"},
                                                                    {"X-Test-Header", "first"},
                                                                    {"x-test-header", "second"},
                                                                    {"Connection", "close"},
                                                                    {"Content-Length", std::to_string(body.size())}};
    EXPECT_EQ(seen[0].fields, expected);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
    const std::string body = "0123456789";
    const int fd = connectToServer();
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n");
    std::array<char, 256> buf{};
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
    sendAll(fd, body);
    const std::string out = readAll(fd);
    ::close(fd);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_TRUE(out.ends_with(body)) << out;
}

TEST_F(HttpServerTest, ArbitraryHeadersGoOutInOrder) {
    const std::string out =
        exchange("POST /acme HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 201 Created\r\n")) << out;
    const std::string expected = "Replay-Nonce: abc_-123\r\n"
                                 "Location: https://ca.example/acme/order/7\r\n"
                                 "Link: <https://ca.example/directory>;rel=\"index\"\r\n"
                                 "Link: <https://ca.example/acme/cert/7/1>;rel=\"alternate\"\r\n"
                                 "Retry-After: 30\r\n"
                                 "Cache-Control: no-store\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: 2\r\n";
    EXPECT_NE(out.find(expected), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n{}")) << out;
}

TEST_F(HttpServerTest, NoContentLengthFor204And304) {
    const std::string nonce = exchange("GET /nonce HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(nonce.starts_with("HTTP/1.1 204 No Content\r\n")) << nonce;
    EXPECT_NE(nonce.find("Replay-Nonce: n1\r\n"), std::string::npos) << nonce;
    EXPECT_EQ(nonce.find("Content-Length"), std::string::npos) << nonce;
    EXPECT_TRUE(nonce.ends_with("\r\n\r\n")) << nonce;
    const std::string head = exchange("HEAD /nonce HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
    EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos) << head;
    const std::string notModified = exchange("GET /not-modified HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(notModified.starts_with("HTTP/1.1 304 Not Modified\r\n")) << notModified;
    EXPECT_EQ(notModified.find("Content-Length"), std::string::npos) << notModified;
    EXPECT_TRUE(notModified.ends_with("ETag: \"x\"\r\nConnection: close\r\n\r\n")) << notModified;
}

TEST_F(HttpServerTest, FieldsWithLineBreaksAreNotSent) {
    const std::string out = exchange("GET /injection HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_EQ(out.find("Set-Cookie"), std::string::npos) << out;
    EXPECT_EQ(out.find("X-Evil"), std::string::npos) << out;
    EXPECT_EQ(out.find("X-Bad"), std::string::npos) << out;
    EXPECT_NE(out.find("X-Good: fine\r\n"), std::string::npos) << out;
}

TEST_F(HttpServerTest, SharedBodyIsReleasedOnceWritten) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_NE(exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("hello world"),
                  std::string::npos);
    }
    // The connection threads hold no reference once the answers are out.
    EXPECT_EQ(handler.shared.use_count(), 1);
}

TEST_F(HttpServerTest, IdleConnectionsTimeOut) {
    HttpServerConfig config;
    config.idleTimeout = std::chrono::seconds(1);
    restart(config);
    const int fd = connectToServer();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(readAll(fd), ""); // the server closes without a word
    const auto waited = std::chrono::steady_clock::now() - started;
    ::close(fd);
    EXPECT_GE(waited, std::chrono::milliseconds(900));
    EXPECT_LT(waited, std::chrono::milliseconds(4800)); // the client's own timeout is 5 s
}

TEST_F(HttpServerTest, AHandlerThatThrowsGets500AndTheServerGoesOn) {
    HttpServerConfig config;
    config.threads = 2;
    std::mutex mutex;
    std::vector<std::string> errors;
    config.onHandlerError = [&](const Request& request, std::string_view what) {
        const std::lock_guard lock(mutex);
        errors.push_back(std::string(request.target) + ": " + std::string(what));
    };
    restart(config);
    for (const std::string target : {"/throw", "/throw-int"}) {
        // Keep-alive asked for, and a second request already sent: the connection still closes
        // after the 500, so the second request is not answered on it.
        const std::string out =
            exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n" + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_TRUE(out.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << out;
        EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
        EXPECT_EQ(count(out, "HTTP/1.1 "), 1U) << out;
    }
    const std::string next = exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(next.ends_with("hello world\n")) << next;
    const std::lock_guard lock(mutex);
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0], "/throw: the handler failed");
    EXPECT_EQ(errors[1], "/throw-int: an exception that is not a std::exception");
}

// A stop that comes just as idle connections time out: the timeout has closed the socket, but
// the read it ended has not been told yet. The stop must not touch the closed socket (that once
// threw out of the server's thread and ended the process).
TEST_F(HttpServerTest, StopAsIdleConnectionsTimeOut) {
    HttpServerConfig config;
    config.threads = 2;
    config.idleTimeout = std::chrono::milliseconds(5);
    server->stop();
    runner.join();
    for (int round = 0; round < 60; ++round) {
        start(config);
        std::vector<int> fds;
        for (int i = 0; i < 8; ++i) {
            fds.push_back(connectToServer());
        }
        std::this_thread::sleep_for(std::chrono::microseconds(4000 + 50 * round));
        server->stop();
        runner.join();
        for (const int fd : fds) {
            EXPECT_EQ(readAll(fd), "");
            ::close(fd);
        }
    }
}

TEST_F(HttpServerTest, StopEndsIdleConnections) {
    const int fd = connectToServer();
    sendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::array<char, 1024> buf{};
    ASSERT_GT(::recv(fd, buf.data(), buf.size(), 0), 0); // the answer; the connection stays open
    server->stop();
    runner.join(); // returns although the client never closes
    ::close(fd);
}

TEST_F(HttpServerTest, StopLetsARequestInProgressFinish) {
    const int fd = connectToServer();
    sendAll(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 1000 && !handler.slowStarted; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(handler.slowStarted);
    server->stop(); // while the handler sleeps
    const std::string out = readAll(fd);
    runner.join();
    ::close(fd);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("hello world\n")) << out;
}

TEST_F(HttpServerTest, ABusyPortIsAnError) {
    HttpServerConfig config;
    config.port = port;
    HttpServer second(handler, config);
    auto listening = second.listen();
    ASSERT_FALSE(listening);
    EXPECT_EQ(listening.error().code, base::ErrorCode::Io);
}

// HTTPS: a throwaway self-signed certificate, and OpenSSL's client on a plain socket.
class HttpsServerTest : public HttpServerTest {
protected:
    void SetUp() override {
        m_dir =
            std::filesystem::temp_directory_path() / ("sealpost-http-tls-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_dir);
        ASSERT_TRUE(writeSelfSigned());
        HttpServerConfig config;
        config.tlsCertificateFile = (m_dir / "cert.pem").string();
        config.tlsKeyFile = (m_dir / "key.pem").string();
        start(config);
    }
    void TearDown() override {
        HttpServerTest::TearDown();
        std::filesystem::remove_all(m_dir);
    }

    [[nodiscard]] bool writeSelfSigned() const {
        EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        X509* cert = X509_new();
        X509_set_version(cert, X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
        X509_set_issuer_name(cert, X509_get_subject_name(cert));
        X509_set_pubkey(cert, key);
        bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
        FILE* c = std::fopen((m_dir / "cert.pem").c_str(), "w");
        FILE* k = std::fopen((m_dir / "key.pem").c_str(), "w");
        ok = ok && c != nullptr && k != nullptr && PEM_write_X509(c, cert) == 1 &&
             PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
        ok = (c == nullptr || std::fclose(c) == 0) && ok;
        ok = (k == nullptr || std::fclose(k) == 0) && ok;
        X509_free(cert);
        EVP_PKEY_free(key);
        return ok;
    }

    // One request over TLS (1.2 at most when `maxVersion` says so); the whole answer, or "" when
    // the handshake fails.
    [[nodiscard]] std::string tlsExchange(const std::string& request, int maxVersion = 0) const {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        if (maxVersion != 0) {
            SSL_CTX_set_max_proto_version(ctx, maxVersion);
        }
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_security_level(ctx, 0);
        SSL* ssl = SSL_new(ctx);
        const int fd = connectToServer();
        SSL_set_fd(ssl, fd);
        std::string out;
        if (SSL_connect(ssl) == 1) {
            SSL_write(ssl, request.data(), static_cast<int>(request.size()));
            std::array<char, 4096> buf{};
            for (int n = 0; (n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()))) > 0;) {
                out.append(buf.data(), static_cast<std::size_t>(n));
            }
        }
        ERR_clear_error();
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        ::close(fd);
        return out;
    }

    std::filesystem::path m_dir;
};

TEST_F(HttpsServerTest, ServesOverTls) {
    const std::string out = tlsExchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_TRUE(out.ends_with("hello world\n")) << out;
    EXPECT_EQ(tlsExchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", TLS1_2_VERSION).substr(0, 15),
              "HTTP/1.1 200 OK");
}

TEST_F(HttpsServerTest, RefusesTls11AndPlainHttp) {
    EXPECT_EQ(tlsExchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", TLS1_1_VERSION), "");
    EXPECT_EQ(exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("200 OK"), std::string::npos);
}

TEST(HttpServerConfigTest, MissingTlsFilesAreAnError) {
    TestHandler handler;
    HttpServerConfig config;
    config.tlsCertificateFile = "/nonexistent/cert.pem";
    config.tlsKeyFile = "/nonexistent/key.pem";
    HttpServer server(handler, config);
    auto listening = server.listen();
    ASSERT_FALSE(listening);
    EXPECT_EQ(listening.error().code, base::ErrorCode::Io);
}

} // namespace
} // namespace sealpost::http
