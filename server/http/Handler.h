#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::http {

// A request header field as received, borrowed from the transport.
struct Field {
    std::string_view name;
    std::string_view value;
};

// A parsed request, borrowed from the transport for the duration of Handler::handle().
struct Request {
    std::string_view method;
    std::string_view target; // origin-form: path and query, still percent-encoded
    std::string_view peerAddress;
    std::span<const Field> fields; // every header field, in the order received
    bool hasContentLength = false;
    bool bodyTooLarge = false; // the body's length was over the limit: it was not read
    std::string_view body;     // empty when bodyTooLarge or when there was none

    // The first field called `name` (compared case-insensitively), or nullopt.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
};

// A response header field. The server writes Date, Server, Content-Length and Connection itself.
struct Header {
    std::string name;
    std::string value; // fields whose name or value holds CR, LF or NUL are not sent
};

// What goes on the wire. The body is shared and immutable, so that cached answers are sent to
// many connections on many threads without a copy.
struct Response {
    int status = 200;
    std::vector<Header> headers;             // in this order; repeated names are sent as separate fields
    std::shared_ptr<const std::string> body; // null: empty
    bool sendBody = true;                    // false for HEAD: Content-Length still tells the body's length
    bool closeConnection = false;            // e.g. the request body was not read (411, 413)
};

// Answers requests. Called on the I/O thread that read the request; with several threads, from
// several at once.
class Handler {
public:
    virtual ~Handler() = default;
    [[nodiscard]] virtual Response handle(const Request& request) = 0;
};

} // namespace sealpost::http
