#pragma once

#include "base/Result.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace sealpost::keydir {

class Api;

struct HttpServerConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 0; // 0: any free port (see boundAddress())
    int threads = 1;
    std::size_t maxHeaderBytes = std::size_t{8} * 1024;
    std::size_t maxBodyBytes = std::size_t{256} * 1024;
    std::chrono::seconds idleTimeout{30};
    // HTTPS when set: a PEM chain (the server's certificate first) and its PEM key.
    std::string tlsCertificateFile;
    std::string tlsKeyFile;
};

// HTTP/1.1 (or HTTPS: TLS 1.2 and later) with keep-alive in front of an Api. `threads` threads run one I/O context;
// every request goes to Api::handle() on the thread that read it.
class HttpServer {
public:
    HttpServer(Api& api, HttpServerConfig config);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens; the address is then known. Io when the address cannot be bound.
    [[nodiscard]] base::Result<void> listen();
    // "HOST:PORT" actually bound (IPv6 hosts in brackets).
    [[nodiscard]] std::string boundAddress() const;

    // Serves until stop() (or SIGTERM/SIGINT when `handleSignals`), then returns once every
    // thread has finished.
    void run(bool handleSignals);
    // Thread-safe; stops accepting and closes the connections.
    void stop();

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace sealpost::keydir
