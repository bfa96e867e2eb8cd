#include "http/HttpServer.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <csignal>
#include <ctime>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sealpost::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds stopGrace{10};
constexpr std::chrono::seconds lingerTime{2};
constexpr std::chrono::milliseconds acceptBackoff{100};
constexpr std::size_t maxLingerBytes = std::size_t{1024} * 1024;

// The Date header, formatted once a second per thread (RFC 9110 5.6.7 IMF-fixdate).
std::string_view httpDate() {
    thread_local std::time_t cachedAt = 0;
    thread_local std::array<char, 40> text{};
    thread_local std::size_t length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cachedAt) {
        std::tm tmv{};
        gmtime_r(&now, &tmv);
        length = std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tmv);
        cachedAt = now;
    }
    return {text.data(), length};
}

} // namespace

class HttpServer::Impl {
public:
    Impl(Handler& handler_, HttpServerConfig config_)
        : handler(handler_), config(std::move(config_)), ioc(std::max(1, config.threads)),
          control(net::make_strand(ioc)), acceptor(control), stopTimer(control), signals(control),
          acceptRetry(control) {}
    // Sessions still queued in the I/O context (a stop after the grace period) are destroyed with
    // it, after this body: they must find the members they touch alive and not post anything.
    ~Impl() { destroying = true; }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    class SessionBase;
    template <bool Tls> class Session;

    void accept();
    void beginStop();
    void sessionEnded();

    // Declared before the I/O context, so that they outlive the sessions it may still hold.
    Handler& handler;
    HttpServerConfig config;
    std::atomic<bool> stopping{false};
    std::atomic<bool> destroying{false};
    std::optional<net::ssl::context> tls; // set when serving HTTPS
    std::mutex sessionsMutex;
    std::list<std::weak_ptr<SessionBase>> sessions;

    net::io_context ioc;
    // Accepting, stopping and the signals run on one strand: with several threads they would
    // otherwise touch the acceptor and the timers at the same time.
    net::strand<net::io_context::executor_type> control;
    tcp::acceptor acceptor;
    net::steady_timer stopTimer;
    net::signal_set signals;
    net::steady_timer acceptRetry;
};

class HttpServer::Impl::SessionBase {
public:
    virtual ~SessionBase() = default;
    SessionBase() = default;
    SessionBase(const SessionBase&) = delete;
    SessionBase& operator=(const SessionBase&) = delete;
    // Ends an idle wait for the next request (graceful stop); a request in progress finishes.
    virtual void cancelIdle() = 0;
};

// One connection: plain TCP, or TLS over it. The HTTP handling is the same for both.
template <bool Tls>
class HttpServer::Impl::Session final : public SessionBase, public std::enable_shared_from_this<Session<Tls>> {
public:
    using Stream = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

    Session(Impl& server, tcp::socket socket) : m_server(server), m_stream(makeStream(server, std::move(socket))) {
        beast::error_code ec;
        const auto remote = lowest().socket().remote_endpoint(ec);
        m_peer = ec ? std::string("-") : remote.address().to_string();
    }
    ~Session() override {
        try {
            m_server.sessionEnded();
        } catch (...) { // out of memory: the stop's grace timer still ends the wait
        }
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() {
        net::dispatch(lowest().get_executor(), [self = this->shared_from_this()] {
            if constexpr (Tls) {
                self->lowest().expires_after(self->m_server.config.idleTimeout);
                self->m_stream.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
                    if (ec) {
                        self->close();
                    } else {
                        self->readHeader();
                    }
                });
            } else {
                self->readHeader();
            }
        });
    }
    void cancelIdle() override {
        net::post(lowest().get_executor(), [self = this->shared_from_this()] {
            if (self->m_idle) {
                // The idle timeout may have closed the socket already, its read not yet told.
                beast::error_code ec;
                self->lowest().socket().cancel(ec);
            }
        });
    }

private:
    static Stream makeStream(Impl& server, tcp::socket socket) {
        if constexpr (Tls) {
            return Stream(std::move(socket), *server.tls);
        } else {
            return Stream(std::move(socket));
        }
    }
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(m_stream); }
    auto ref() { return this->shared_from_this(); }

    void readHeader() {
        if (m_server.stopping) {
            close();
            return;
        }
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(m_server.config.maxHeaderBytes));
        m_parser->body_limit(m_server.config.maxBodyBytes);
        lowest().expires_after(m_server.config.idleTimeout);
        m_idle = true;
        bhttp::async_read_header(m_stream, m_buffer, *m_parser,
                                 [self = ref()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
    }

    void onHeader(beast::error_code ec) {
        m_idle = false;
        if (ec == bhttp::error::body_limit) {
            answer(true, true); // Content-Length over the limit: 413 without reading the body
            return;
        }
        if (ec) {
            close(); // end of stream, timeout, or a request we cannot parse (headers over the limit)
            return;
        }
        const auto& req = m_parser->get();
        const bool post = req.method() == bhttp::verb::post;
        const auto length = m_parser->content_length();
        if (post && !length) {
            answer(false, false); // 411 without reading a (chunked) body
            return;
        }
        if (length && *length > m_server.config.maxBodyBytes) {
            answer(true, true); // 413 without reading the body
            return;
        }
        lowest().expires_after(m_server.config.idleTimeout);
        const auto expect = req.find(bhttp::field::expect);
        if (expect != req.end() && beast::iequals(expect->value(), "100-continue") && req.version() >= 11) {
            // The client waits for this before it sends the body (curl does for bodies over 1 KiB).
            static constexpr std::string_view continueLine = "HTTP/1.1 100 Continue\r\n\r\n";
            net::async_write(m_stream, net::buffer(continueLine.data(), continueLine.size()),
                             [self = ref()](beast::error_code e, std::size_t) {
                                 if (e) {
                                     self->close();
                                 } else {
                                     self->readBody();
                                 }
                             });
            return;
        }
        readBody();
    }

    void readBody() {
        bhttp::async_read(m_stream, m_buffer, *m_parser, [self = ref()](beast::error_code e, std::size_t) {
            if (e == bhttp::error::body_limit) {
                self->answer(true, true);
            } else if (e) {
                self->close();
            } else {
                self->answer(self->m_parser->content_length().has_value(), false);
            }
        });
    }

    void answer(bool hasContentLength, bool bodyTooLarge) {
        const auto& req = m_parser->get();
        m_fields.clear(); // keeps its capacity: no allocation per request once the connection is warm
        for (const auto& field : req.base()) {
            m_fields.push_back({std::string_view(field.name_string().data(), field.name_string().size()),
                                std::string_view(field.value().data(), field.value().size())});
        }
        Request request;
        request.method = std::string_view(req.method_string().data(), req.method_string().size());
        request.target = std::string_view(req.target().data(), req.target().size());
        request.peerAddress = m_peer;
        request.fields = m_fields;
        request.hasContentLength = hasContentLength;
        request.bodyTooLarge = bodyTooLarge;
        if (!bodyTooLarge && m_parser->is_done()) {
            request.body = req.body();
        }
        Response response = handle(request);
        const bool keepAlive = req.keep_alive() && !response.closeConnection && !m_server.stopping;
        write(std::move(response), keepAlive, req.version());
    }

    // A handler that throws must not take the server (every connection on it) down.
    Response handle(const Request& request) {
        std::string what;
        try {
            return m_server.handler.handle(request);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
            what = "an exception that is not a std::exception";
        }
        if (m_server.config.onHandlerError) {
            m_server.config.onHandlerError(request, what);
        }
        Response r;
        r.status = 500;
        r.closeConnection = true; // the handler's state for this connection is unknown
        return r;
    }

    static bool sendable(std::string_view text) noexcept {
        return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
    }

    // The answer's head is written by hand into a buffer the session reuses, and the body goes
    // out straight from the (possibly cached, shared) string: no copy of the body, ever.
    void renderHead(const Response& response, bool keepAlive, unsigned version) {
        std::string& h = m_head;
        h.clear();
        h += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
        appendNumber(h, static_cast<std::size_t>(response.status));
        h += ' ';
        const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
        h.append(reason.data(), reason.size());
        h += "\r\nDate: ";
        h += httpDate();
        h += "\r\nServer: ";
        h += sendable(m_server.config.serverName) ? m_server.config.serverName : std::string_view("sealpost");
        h += "\r\n";
        for (const Header& field : response.headers) {
            if (!field.name.empty() && sendable(field.name) && sendable(field.value)) {
                h += field.name;
                h += ": ";
                h += field.value;
                h += "\r\n";
            }
        }
        // RFC 9110 8.6: no Content-Length in 1xx and 204; in 304 it would have to be the GET's.
        if (response.status >= 200 && response.status != 204 && response.status != 304) {
            h += "Content-Length: "; // also for HEAD: the length a GET would send
            appendNumber(h, response.body ? response.body->size() : 0);
            h += "\r\n";
        }
        if (!keepAlive) {
            h += "Connection: close\r\n";
        } else if (version == 10) {
            h += "Connection: keep-alive\r\n";
        }
        h += "\r\n";
    }

    static void appendNumber(std::string& out, std::size_t n) {
        std::array<char, 24> digits{};
        const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
        out.append(digits.data(), end);
    }

    void write(Response response, bool keepAlive, unsigned version) {
        renderHead(response, keepAlive, version);
        m_body = std::move(response.body);
        const bool bodyAllowed = response.status >= 200 && response.status != 204 && response.status != 304;
        const std::string_view body =
            response.sendBody && bodyAllowed && m_body ? std::string_view(*m_body) : std::string_view();
        const std::array<net::const_buffer, 2> buffers{net::buffer(m_head), net::buffer(body.data(), body.size())};
        lowest().expires_after(m_server.config.idleTimeout);
        net::async_write(m_stream, buffers, [self = ref(), keepAlive](beast::error_code ec, std::size_t) {
            self->m_body.reset();
            if (ec) {
                self->close();
            } else if (!keepAlive) {
                self->lingerThenClose();
            } else {
                self->readHeader();
            }
        });
    }

    // After an answer that ends the connection, possibly with a request body still unread (411,
    // 413): closing at once would make the kernel reset the connection, and the client could lose
    // the answer. So stop sending, read and drop what the client still sends (up to a limit, for
    // a short while), then close.
    void lingerThenClose() {
        if constexpr (Tls) {
            close(); // a half-closed TLS stream cannot be drained meaningfully
            return;
        }
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        lowest().expires_after(lingerTime);
        drain(0);
    }
    void drain(std::size_t drained) {
        m_stream.async_read_some(net::buffer(m_drain), [self = ref(), drained](beast::error_code ec, std::size_t n) {
            if (ec || drained + n > maxLingerBytes) {
                self->close();
            } else {
                self->drain(drained + n);
            }
        });
    }

    void close() {
        beast::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        lowest().socket().close(ec);
    }

    Impl& m_server;
    Stream m_stream;
    beast::flat_buffer m_buffer;
    std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
    std::string m_head;                        // the answer's status line and header fields
    std::shared_ptr<const std::string> m_body; // the body being written
    std::vector<Field> m_fields;               // the current request's header fields
    std::string m_peer;
    std::array<char, 4096> m_drain{};
    bool m_idle = false;
};

void HttpServer::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) {
            return;
        }
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            auto remember = [this](const std::shared_ptr<SessionBase>& session) {
                const std::lock_guard lock(sessionsMutex);
                std::erase_if(sessions, [](const std::weak_ptr<SessionBase>& s) { return s.expired(); });
                sessions.push_back(session);
            };
            if (tls) {
                auto session = std::make_shared<Session<true>>(*this, std::move(socket));
                remember(session);
                session->start();
            } else {
                auto session = std::make_shared<Session<false>>(*this, std::move(socket));
                remember(session);
                session->start();
            }
            accept();
            return;
        }
        // Out of descriptors (or memory): accepting again at once would spin; the connections
        // already open keep being served meanwhile.
        acceptRetry.expires_after(acceptBackoff);
        acceptRetry.async_wait([this](beast::error_code e) {
            if (!e && !stopping) {
                accept();
            }
        });
    });
}

void HttpServer::Impl::beginStop() {
    if (stopping.exchange(true)) {
        return;
    }
    beast::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    acceptRetry.cancel();
    std::vector<std::shared_ptr<SessionBase>> live;
    {
        const std::lock_guard lock(sessionsMutex);
        for (const auto& weak : sessions) {
            if (auto s = weak.lock()) {
                live.push_back(std::move(s));
            }
        }
    }
    for (const auto& s : live) {
        s->cancelIdle();
    }
    // Requests in progress get a grace period; then everything stops.
    stopTimer.expires_after(stopGrace);
    stopTimer.async_wait([this](beast::error_code e) {
        if (!e) {
            ioc.stop();
        }
    });
    sessionEnded();
}

void HttpServer::Impl::sessionEnded() {
    if (!stopping || destroying) {
        return;
    }
    const std::lock_guard lock(sessionsMutex);
    const bool anyLeft = std::any_of(sessions.begin(), sessions.end(), [](const auto& w) { return !w.expired(); });
    if (!anyLeft) {
        net::post(control, [this] { stopTimer.cancel(); });
    }
}

HttpServer::HttpServer(Handler& handler, HttpServerConfig config)
    : m_impl(std::make_unique<Impl>(handler, std::move(config))) {}

HttpServer::~HttpServer() = default;

base::Result<void> HttpServer::listen() {
    beast::error_code ec;
    if (!m_impl->config.tlsCertificateFile.empty()) {
        auto& tls = m_impl->tls.emplace(net::ssl::context::tls_server);
        tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                        net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                        net::ssl::context::single_dh_use);
        tls.use_certificate_chain_file(m_impl->config.tlsCertificateFile, ec);
        if (ec) {
            return base::makeError(base::ErrorCode::Io, "cannot use the TLS certificate chain " +
                                                            m_impl->config.tlsCertificateFile + ": " + ec.message());
        }
        tls.use_private_key_file(m_impl->config.tlsKeyFile, net::ssl::context::pem, ec);
        if (ec) {
            return base::makeError(base::ErrorCode::Io,
                                   "cannot use the TLS key " + m_impl->config.tlsKeyFile + ": " + ec.message());
        }
    }
    net::ip::address address = net::ip::make_address(m_impl->config.host, ec);
    if (ec) {
        tcp::resolver resolver(m_impl->ioc);
        const auto results = resolver.resolve(m_impl->config.host, "", ec);
        if (ec || results.empty()) {
            return base::makeError(base::ErrorCode::InvalidArgument, "cannot resolve " + m_impl->config.host);
        }
        address = results.begin()->endpoint().address();
    }
    const tcp::endpoint endpoint(address, m_impl->config.port);
    tcp::acceptor& acceptor = m_impl->acceptor;
    if (acceptor.open(endpoint.protocol(), ec); !ec) {
        acceptor.set_option(net::socket_base::reuse_address(true), ec);
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return base::makeError(base::ErrorCode::Io, "cannot listen on " + m_impl->config.host + ":" +
                                                        std::to_string(m_impl->config.port) + ": " + ec.message());
    }
    if (m_impl->config.handleSignals) {
        // Caught from here on, though run() has not started: a signal that comes in between is
        // handled as soon as it does.
        Impl& impl = *m_impl;
        impl.signals.add(SIGINT, ec);
        if (!ec) {
            impl.signals.add(SIGTERM, ec);
        }
        if (ec) {
            return base::makeError(base::ErrorCode::Io, "cannot handle SIGINT and SIGTERM: " + ec.message());
        }
        impl.signals.async_wait([&impl](beast::error_code e, int) {
            if (!e) {
                impl.beginStop();
            }
        });
    }
    return base::Ok{};
}

std::string HttpServer::boundAddress() const {
    beast::error_code ec;
    const tcp::endpoint endpoint = m_impl->acceptor.local_endpoint(ec);
    if (ec) {
        return {};
    }
    const std::string host = endpoint.address().to_string();
    return (endpoint.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(endpoint.port());
}

void HttpServer::run() {
    Impl& impl = *m_impl;
    impl.accept();
    std::vector<std::thread> threads;
    for (int i = 1; i < impl.config.threads; ++i) {
        threads.emplace_back([&impl] { impl.ioc.run(); });
    }
    impl.ioc.run();
    for (std::thread& t : threads) {
        t.join();
    }
}

void HttpServer::stop() {
    net::post(m_impl->control, [impl = m_impl.get()] { impl->beginStop(); });
}

} // namespace sealpost::http
