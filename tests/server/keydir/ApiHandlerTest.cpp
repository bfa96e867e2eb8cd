#include "keydir/ApiHandler.h"

#include "MemoryCertStore.h"
#include "http/HttpServer.h"
#include "keydir/Api.h"

#include <arpa/inet.h>
#include <array>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace sealpost::keydir {
namespace {

TEST(ApiHandlerMappingTest, RequestHeadersAreFoundWhateverTheirCase) {
    const std::array<http::Field, 6> fields{{{"accept", "application/json"},
                                             {"CONTENT-TYPE", "text/plain"},
                                             {"If-None-Match", "\"e\""},
                                             {"authorization", "Bearer t"},
                                             {"x-forwarded-for", "192.0.2.1"},
                                             {"Host", "x"}}};
    http::Request in;
    in.method = "POST";
    in.target = "/v1/certs";
    in.peerAddress = "127.0.0.1";
    in.fields = fields;
    in.hasContentLength = true;
    in.body = "body";
    const Request out = toApiRequest(in);
    EXPECT_EQ(out.method, "POST");
    EXPECT_EQ(out.target, "/v1/certs");
    EXPECT_EQ(out.peerAddress, "127.0.0.1");
    EXPECT_EQ(out.accept, "application/json");
    EXPECT_EQ(out.contentType, "text/plain");
    EXPECT_EQ(out.ifNoneMatch, "\"e\"");
    EXPECT_EQ(out.authorization, "Bearer t");
    EXPECT_EQ(out.forwardedFor, "192.0.2.1");
    EXPECT_TRUE(out.hasContentLength);
    EXPECT_FALSE(out.bodyTooLarge);
    EXPECT_EQ(out.body, "body");
    EXPECT_FALSE(toApiRequest(http::Request{}).accept);
}

TEST(ApiHandlerMappingTest, AnswerBecomesHeadersAndASharedBody) {
    auto answer = std::make_shared<Answer>();
    answer->status = 429;
    answer->contentType = jsonType;
    answer->cacheControl = "no-store";
    answer->etag = "\"abc\"";
    answer->allow = "GET, HEAD";
    answer->retryAfter = 7;
    answer->body = R"({"error":"rate-limited"})";
    const std::string* body = &answer->body;
    const http::Response out = toHttpResponse(Response{429, answer, false, true});
    EXPECT_EQ(out.status, 429);
    EXPECT_FALSE(out.sendBody);
    EXPECT_TRUE(out.closeConnection);
    const std::vector<std::pair<std::string, std::string>> expected{{"Content-Type", "application/json"},
                                                                    {"Cache-Control", "no-store"},
                                                                    {"ETag", "\"abc\""},
                                                                    {"Allow", "GET, HEAD"},
                                                                    {"Retry-After", "7"}};
    std::vector<std::pair<std::string, std::string>> headers;
    for (const http::Header& h : out.headers) {
        headers.emplace_back(h.name, h.value);
    }
    EXPECT_EQ(headers, expected);
    // Not a copy: the response points into the Answer and keeps it alive.
    EXPECT_EQ(out.body.get(), body);
    EXPECT_EQ(answer.use_count(), 2);
}

TEST(ApiHandlerMappingTest, NotModifiedHasNoContentType) {
    auto answer = std::make_shared<Answer>();
    answer->contentType = jsonType;
    answer->etag = "\"abc\"";
    answer->cacheControl = "public, max-age=300";
    const http::Response out = toHttpResponse(Response{304, answer, false, false});
    ASSERT_EQ(out.headers.size(), 2U);
    EXPECT_EQ(out.headers[0].name, "Cache-Control");
    EXPECT_EQ(out.headers[1].name, "ETag");
}

// The directory API through the shared HTTP server on a real socket, with the in-memory store.
// (The executable with a real database is exercised by keydir-api-test.sh.)
class ApiHandlerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ApiConfig config;
        config.clientLimit = {1000, 1000};
        config.maxBody = 4096;
        api = std::make_unique<Api>(store, config, clock, nullptr);
        handler = std::make_unique<ApiHandler>(*api);
        http::HttpServerConfig httpConfig;
        httpConfig.threads = 2;
        httpConfig.maxBodyBytes = 4096;
        httpConfig.serverName = "sealpost-keydir";
        server = std::make_unique<http::HttpServer>(*handler, httpConfig);
        ASSERT_TRUE(server->listen());
        const std::string bound = server->boundAddress();
        ASSERT_TRUE(bound.starts_with("127.0.0.1:")) << bound;
        port = static_cast<unsigned short>(std::stoi(bound.substr(10)));
        runner = std::thread([this] { server->run(); });
    }
    void TearDown() override {
        server->stop();
        runner.join();
    }

    std::string exchange(const std::string& request) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        timeval timeout{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
        std::string out;
        std::array<char, 4096> buf{};
        for (ssize_t n = 0; (n = ::recv(fd, buf.data(), buf.size(), 0)) > 0;) {
            out.append(buf.data(), static_cast<std::size_t>(n));
        }
        ::close(fd);
        return out;
    }

    test::MemoryCertStore store;
    base::SystemClock clock;
    std::unique_ptr<Api> api;
    std::unique_ptr<ApiHandler> handler;
    std::unique_ptr<http::HttpServer> server;
    std::thread runner;
    unsigned short port = 0;
};

TEST_F(ApiHandlerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
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
    EXPECT_NE(out.find("Server: sealpost-keydir\r\n"), std::string::npos);
    EXPECT_NE(out.find("Date: "), std::string::npos);
}

TEST_F(ApiHandlerTest, HeadSendsTheLengthButNoBody) {
    const std::string out = exchange("HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("Content-Length: 15\r\n"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
}

TEST_F(ApiHandlerTest, NotModifiedSendsNoBody) {
    const std::string lookup = "GET /v1/certs/alice@example.org HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    const std::string first = exchange(lookup + "\r\n");
    const auto at = first.find("ETag: ");
    ASSERT_NE(at, std::string::npos) << first;
    const std::string etag = first.substr(at + 6, first.find("\r\n", at) - at - 6);
    const std::string out = exchange(lookup + "If-None-Match: " + etag + "\r\n\r\n");
    ASSERT_TRUE(out.starts_with("HTTP/1.1 304 Not Modified\r\n")) << out;
    EXPECT_EQ(out.find("Content-Type"), std::string::npos) << out;
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
}

TEST_F(ApiHandlerTest, PostWithoutLengthIsRefusedUnread) {
    const std::string out = exchange("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                     "Content-Type: application/json\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 411 Length Required\r\n")) << out;
    EXPECT_NE(out.find("length-required"), std::string::npos);
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(ApiHandlerTest, BodyOverTheLimitIsRefusedUnread) {
    const std::string out = exchange("POST /v1/certs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                     "Content-Length: 5000\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << out;
    EXPECT_NE(out.find("\"too-large\""), std::string::npos);
}

TEST_F(ApiHandlerTest, BodyIsPassedThrough) {
    const std::string body = R"({"addresses": ["alice@example.org"]})";
    const std::string out = exchange("POST /v1/lookup HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                                     "Connection: close\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_NE(out.find("\"address\":\"alice@example.org\""), std::string::npos) << out;
    EXPECT_NE(out.find("Cache-Control: no-store\r\n"), std::string::npos) << out;
}

TEST_F(ApiHandlerTest, AllowHeaderOn405) {
    const std::string out = exchange("DELETE /v1/certs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << out;
    EXPECT_NE(out.find("Allow: POST\r\n"), std::string::npos) << out;
}

} // namespace
} // namespace sealpost::keydir
