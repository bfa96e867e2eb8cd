#pragma once

#include "base/Result.h"
#include "http/Handler.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sealpost::http {

struct HttpServerConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 0; // 0: any free port (see boundAddress())
    int threads = 1;
    std::size_t maxHeaderBytes = std::size_t{8} * 1024; // over it: the connection is closed
    std::size_t maxBodyBytes = std::size_t{256} * 1024; // over it: the handler sees bodyTooLarge, body unread
    std::chrono::milliseconds idleTimeout{std::chrono::seconds(30)};
    // HTTPS when set: a PEM chain (the server's certificate first) and its PEM key.
    std::string tlsCertificateFile;
    std::string tlsKeyFile;
    std::string serverName = "sealpost"; // the Server header
    // Stop gracefully on SIGTERM and SIGINT, from listen() on.
    bool handleSignals = false;
    // Told (from any I/O thread) when the handler throws, with what it threw; that request gets a
    // 500, its connection is closed, and the server goes on serving.
    std::function<void(const Request&, std::string_view what)> onHandlerError;
};

// HTTP/1.1 (or HTTPS: TLS 1.2 and later) with keep-alive in front of a Handler. `threads` threads
// run one I/O context; every request goes to Handler::handle() on the thread that read it. A POST
// without Content-Length (chunked) reaches the handler unread, with hasContentLength false, as
// does a body over maxBodyBytes (bodyTooLarge); the handler should answer those with
// closeConnection. Expect: 100-continue is honoured. Every response carries Date, Server and,
// except for 1xx, 204 and 304, Content-Length (for HEAD too: the length a GET would send).
class HttpServer {
public:
    HttpServer(Handler& handler, HttpServerConfig config);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens; the address is then known. Io when the address cannot be bound or the
    // TLS files cannot be used, InvalidArgument when the host does not resolve.
    [[nodiscard]] base::Result<void> listen();
    // "HOST:PORT" actually bound (IPv6 hosts in brackets).
    [[nodiscard]] std::string boundAddress() const;

    // Serves until stop() (or SIGTERM/SIGINT with `handleSignals`), then returns once every
    // thread has finished: idle connections are closed at once, requests in progress get 10
    // seconds to finish.
    void run();
    // Thread-safe; stops accepting and closes the connections.
    void stop();

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::http
