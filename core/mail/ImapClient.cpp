#include "mail/ImapClient.h"

#include "mail/Curl.h"
#include "mime/Ascii.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <poll.h>
#include <utility>

namespace sealpost::mail {

using base::ErrorCode;

namespace {

constexpr std::size_t kMaxLine = 1U << 20U;              // a response line without its literals
constexpr std::uint64_t kMaxMemoryLiteral = 256U << 20U; // a literal held in memory (headers)
constexpr std::size_t kChunk = std::size_t{64} * 1024U;
constexpr int kPollSliceMs = 200;

bool endsWithIgnoreCase(std::string_view s, std::string_view suffix) noexcept {
    if (s.size() < suffix.size()) {
        return false;
    }
    s.remove_prefix(s.size() - suffix.size());
    return mime::equalsIgnoreCase(s, suffix);
}

std::string flagList(std::span<const std::string> flags) {
    std::string out = "(";
    for (const std::string& f : flags) {
        if (out.size() > 1) {
            out.push_back(' ');
        }
        out += f;
    }
    out.push_back(')');
    return out;
}

bool validFlag(std::string_view f) noexcept {
    if (f.empty()) {
        return false;
    }
    return std::all_of(f.begin(), f.end(), [](char c) {
        return c > ' ' && c < 127 && c != '(' && c != ')' && c != '{' && c != '"' && c != '%' && c != '*' && c != ']';
    });
}

// An untagged "* OK [UIDVALIDITY 5]"-style code's number.
std::optional<std::uint64_t> codeNumber(const ImapResponse& r, std::string_view name) {
    if (r.code.size() <= name.size() + 1 || !endsWithIgnoreCase(r.code.substr(0, name.size()), name) ||
        r.code[name.size()] != ' ') {
        return std::nullopt;
    }
    ImapValue v;
    v.kind = ImapValue::Kind::Atom;
    v.text = r.code.substr(name.size() + 1);
    return v.number();
}

} // namespace

// Decides where a literal goes: a sink to stream it into, or nullptr to keep it in the response.
using LiteralTarget = std::function<base::ByteSink*(std::string_view responseSoFar)>;
using UntaggedHandler = std::function<base::Result<void>(const ImapResponse&)>;

struct ImapClient::Connection {
    detail::CurlHandle curl;
    curl_socket_t socket = CURL_SOCKET_BAD;
    std::chrono::seconds stall{60};
    const std::atomic<bool>* cancel = nullptr;
    std::string in;
    std::size_t pos = 0;
    unsigned tag = 0;
    bool broken = false;

    base::Error fail(ErrorCode code, std::string detail) {
        broken = true;
        return {code, std::move(detail)};
    }

    base::Result<void> wait(short events) {
        const auto deadline = std::chrono::steady_clock::now() + stall;
        for (;;) {
            if (cancel != nullptr && cancel->load()) {
                return fail(ErrorCode::Cancelled, "cancelled");
            }
            pollfd p{};
            p.fd = socket;
            p.events = events;
            const int n = ::poll(&p, 1, kPollSliceMs);
            if (n > 0) {
                return base::Ok{};
            }
            if (n < 0 && errno != EINTR) {
                return fail(ErrorCode::TemporaryFailure, "IMAP: waiting for the server failed");
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return fail(ErrorCode::TemporaryFailure, "IMAP: the server stopped answering (timed out)");
            }
        }
    }

    base::Result<void> fill() {
        std::array<char, kChunk> buf{};
        for (;;) {
            std::size_t got = 0;
            const CURLcode rc = curl_easy_recv(curl.get(), buf.data(), buf.size(), &got);
            if (rc == CURLE_OK) {
                if (got == 0) {
                    return fail(ErrorCode::TemporaryFailure, "IMAP: the server closed the connection");
                }
                if (pos > kChunk && pos * 2 > in.size()) {
                    in.erase(0, pos);
                    pos = 0;
                }
                in.append(buf.data(), got);
                return base::Ok{};
            }
            if (rc != CURLE_AGAIN) {
                return fail(ErrorCode::TemporaryFailure,
                            std::string("IMAP: connection failed: ") + curl_easy_strerror(rc));
            }
            if (auto w = wait(POLLIN); !w) {
                return w;
            }
        }
    }

    base::Result<void> sendAll(std::string_view data) {
        while (!data.empty()) {
            std::size_t sent = 0;
            const CURLcode rc = curl_easy_send(curl.get(), data.data(), data.size(), &sent);
            if (rc == CURLE_AGAIN) {
                if (auto w = wait(POLLOUT); !w) {
                    return w;
                }
                continue;
            }
            if (rc != CURLE_OK) {
                return fail(ErrorCode::TemporaryFailure,
                            std::string("IMAP: sending failed: ") + curl_easy_strerror(rc));
            }
            data.remove_prefix(sent);
        }
        return base::Ok{};
    }

    base::Result<std::string> readLine() {
        for (;;) {
            const std::size_t eol = in.find("\r\n", pos);
            if (eol != std::string::npos) {
                std::string line = in.substr(pos, eol - pos);
                pos = eol + 2;
                return line;
            }
            if (in.size() - pos > kMaxLine) {
                return fail(ErrorCode::ProtocolError, "IMAP: response line too long");
            }
            if (auto f = fill(); !f) {
                return f.error();
            }
        }
    }

    // Moves `size` literal bytes to `sink` or appends them to `out`.
    base::Result<void> readLiteral(std::uint64_t size, base::ByteSink* sink, std::string& out) {
        while (size > 0) {
            if (pos >= in.size()) {
                if (auto f = fill(); !f) {
                    return f;
                }
            }
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, in.size() - pos));
            const std::string_view piece(in.data() + pos, take);
            if (sink != nullptr) {
                if (!sink->write(base::asBytes(piece))) {
                    return fail(ErrorCode::Io, "IMAP: could not store the fetched data");
                }
            } else {
                out.append(piece);
            }
            pos += take;
            size -= take;
        }
        return base::Ok{};
    }

    base::Result<std::string> readResponse(const LiteralTarget& target) {
        std::string response;
        for (;;) {
            auto line = readLine();
            if (!line) {
                return line.error();
            }
            response += *line;
            const auto literal = trailingLiteralSize(*line);
            if (!literal) {
                return response;
            }
            base::ByteSink* sink = target ? target(response) : nullptr;
            if (sink != nullptr) {
                // The streamed literal stands as an empty string in the parsed response.
                response.erase(response.rfind('{'));
                response += "\"\"";
            } else {
                if (*literal > kMaxMemoryLiteral) {
                    return fail(ErrorCode::LimitExceeded, "IMAP: literal too large");
                }
                response += "\r\n";
            }
            if (auto r = readLiteral(*literal, sink, response); !r) {
                return r.error();
            }
        }
    }

    // Sends a command and reads until its tagged response, which is returned whatever its status.
    base::Result<ImapResponse> command(std::string_view text, const UntaggedHandler& onUntagged,
                                       const LiteralTarget& target = {},
                                       const std::function<base::Result<void>()>& onContinue = {}) {
        const std::string myTag = "S" + std::to_string(++tag);
        if (auto s = sendAll(myTag + " " + std::string(text) + "\r\n"); !s) {
            return s.error();
        }
        for (;;) {
            if (cancel != nullptr && cancel->load()) {
                return fail(ErrorCode::Cancelled, "cancelled");
            }
            auto raw = readResponse(target);
            if (!raw) {
                return raw.error();
            }
            auto parsed = parseImapResponse(*raw);
            const bool mine = raw->compare(0, myTag.size() + 1, myTag + " ") == 0;
            if (!parsed) {
                if (mine) {
                    return fail(ErrorCode::ProtocolError, "IMAP: unreadable reply: " + parsed.error().detail);
                }
                continue; // an untagged response we could not read is one we do not need
            }
            if (mine) {
                return std::move(parsed).value();
            }
            if (parsed->tag == "+") {
                if (!onContinue) {
                    return fail(ErrorCode::ProtocolError, "IMAP: unexpected continuation request");
                }
                if (auto c = onContinue(); !c) {
                    return c.error();
                }
                continue;
            }
            if (parsed->tag != "*") {
                return fail(ErrorCode::ProtocolError, "IMAP: reply with a foreign tag");
            }
            if (parsed->status == "BYE") {
                return fail(ErrorCode::TemporaryFailure, "IMAP: the server ended the session: " + parsed->text);
            }
            if (onUntagged) {
                if (auto h = onUntagged(*parsed); !h) {
                    broken = true; // the rest of the reply is still on the wire
                    return h.error();
                }
            }
        }
    }
};

namespace {

base::Result<void> checkTagged(const ImapResponse& r, std::string_view what) {
    if (r.status == "OK") {
        return base::Ok{};
    }
    std::string detail = "IMAP " + std::string(what) + ": " + r.status + " " + r.text;
    if (r.status == "NO") {
        if (endsWithIgnoreCase(r.code, "NONEXISTENT") || endsWithIgnoreCase(r.code, "TRYCREATE")) {
            return base::makeError(ErrorCode::NotFound, detail);
        }
        if (endsWithIgnoreCase(r.code, "UNAVAILABLE") || endsWithIgnoreCase(r.code, "INUSE") ||
            endsWithIgnoreCase(r.code, "LIMIT")) {
            return base::makeError(ErrorCode::TemporaryFailure, detail);
        }
        return base::makeError(ErrorCode::PermanentFailure, detail);
    }
    return base::makeError(ErrorCode::ProtocolError, detail);
}

} // namespace

ImapClient::ImapClient(ServerSettings settings) : m_settings(std::move(settings)) {}

ImapClient::~ImapClient() = default;

void ImapClient::disconnect() noexcept {
    m_conn.reset();
    m_selected.clear();
}

base::Result<void> ImapClient::connect() {
    if (m_conn && !m_conn->broken) {
        return base::Ok{};
    }
    disconnect();
    auto conn = std::make_unique<Connection>();
    if (auto c = conn->curl.configure(m_settings, "imap"); !c) {
        return c;
    }
    CURL* h = conn->curl.get();
    if (curl_easy_setopt(h, CURLOPT_URL, conn->curl.baseUrl().c_str()) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
        return base::makeError(ErrorCode::Unsupported, "libcurl: cannot set up an IMAP connection");
    }
    if (auto p = conn->curl.perform("IMAP login to " + m_settings.host); !p) {
        return p;
    }
    if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &conn->socket) != CURLE_OK || conn->socket == CURL_SOCKET_BAD) {
        return base::makeError(ErrorCode::TemporaryFailure, "IMAP: no connection after login");
    }
    conn->stall = m_settings.stallTimeout;
    m_conn = std::move(conn);
    return base::Ok{};
}

namespace {

// Runs `fn(conn)` on a live connection; a broken connection is dropped afterwards so the next call
// reconnects.
template <typename Fn>
auto withConnection(ImapClient& client, std::unique_ptr<ImapClient::Connection>& conn, const std::atomic<bool>* cancel,
                    std::string& selected, Fn&& fn) -> decltype(fn(*conn)) {
    if (auto c = client.connect(); !c) {
        return c.error();
    }
    conn->cancel = cancel;
    auto result = fn(*conn);
    if (conn->broken) {
        conn.reset();
        selected.clear();
    }
    return result;
}

} // namespace

base::Result<std::vector<ImapFolder>> ImapClient::listFolders() {
    return withConnection(
        *this, m_conn, m_cancel, m_selected, [](Connection& c) -> base::Result<std::vector<ImapFolder>> {
            std::vector<ImapFolder> folders;
            auto r = c.command(R"(LIST "" "*" RETURN (SPECIAL-USE))", [&](const ImapResponse& u) -> base::Result<void> {
                if (auto f = listEntry(u)) {
                    folders.push_back(std::move(*f));
                }
                return base::Ok{};
            });
            if (!r) {
                return r.error();
            }
            if (r->status != "OK") {
                // A server without LIST-EXTENDED: plain LIST still names the folders.
                folders.clear();
                r = c.command(R"(LIST "" "*")", [&](const ImapResponse& u) -> base::Result<void> {
                    if (auto f = listEntry(u)) {
                        folders.push_back(std::move(*f));
                    }
                    return base::Ok{};
                });
                if (!r) {
                    return r.error();
                }
            }
            if (auto ok = checkTagged(*r, "LIST"); !ok) {
                return ok.error();
            }
            return folders;
        });
}

base::Result<FolderStatus> ImapClient::status(std::string_view folder) {
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<FolderStatus> {
        FolderStatus st;
        auto r = c.command("STATUS " + imapQuote(folder) + " (UIDVALIDITY UIDNEXT MESSAGES)",
                           [&](const ImapResponse& u) -> base::Result<void> {
                               if (u.values.size() == 3 && u.values[0].isAtom("STATUS") &&
                                   u.values[2].kind == ImapValue::Kind::List) {
                                   const auto& items = u.values[2].items;
                                   for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
                                       const std::uint64_t n = items[i + 1].number().value_or(0);
                                       if (items[i].isAtom("UIDVALIDITY")) {
                                           st.uidValidity = n;
                                       } else if (items[i].isAtom("UIDNEXT")) {
                                           st.uidNext = n;
                                       } else if (items[i].isAtom("MESSAGES")) {
                                           st.exists = n;
                                       }
                                   }
                               }
                               return base::Ok{};
                           });
        if (!r) {
            return r.error();
        }
        if (auto ok = checkTagged(*r, "STATUS " + std::string(folder)); !ok) {
            return ok.error();
        }
        return st;
    });
}

base::Result<FolderStatus> ImapClient::select(std::string_view folder) {
    auto result = withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<FolderStatus> {
        FolderStatus st;
        auto r = c.command("SELECT " + imapQuote(folder), [&](const ImapResponse& u) -> base::Result<void> {
            if (auto v = codeNumber(u, "UIDVALIDITY")) {
                st.uidValidity = *v;
            } else if (auto n = codeNumber(u, "UIDNEXT")) {
                st.uidNext = *n;
            } else if (u.values.size() == 2 && u.values[1].isAtom("EXISTS")) {
                st.exists = u.values[0].number().value_or(0);
            }
            return base::Ok{};
        });
        if (!r) {
            return r.error();
        }
        if (auto ok = checkTagged(*r, "SELECT " + std::string(folder)); !ok) {
            return ok.error();
        }
        return st;
    });
    if (result) {
        m_selected = std::string(folder);
    } else if (m_conn) {
        m_selected.clear(); // a failed SELECT leaves no mailbox selected
    }
    return result;
}

base::Result<void> ImapClient::ensureSelected(std::string_view folder) {
    if (m_conn && !m_conn->broken && m_selected == folder) {
        return base::Ok{};
    }
    auto s = select(folder);
    if (!s) {
        return s.error();
    }
    return base::Ok{};
}

base::Result<std::vector<MessageFlags>> ImapClient::fetchFlags(std::string_view folder, std::uint64_t uidFrom) {
    if (auto s = ensureSelected(folder); !s) {
        return s.error();
    }
    return withConnection(
        *this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<std::vector<MessageFlags>> {
            std::vector<MessageFlags> out;
            auto r = c.command("UID FETCH " + std::to_string(std::max<std::uint64_t>(uidFrom, 1)) + ":* (UID FLAGS)",
                               [&](const ImapResponse& u) -> base::Result<void> {
                                   auto f = fetchEntry(u);
                                   if (f && f->uid >= uidFrom && f->flags) {
                                       out.push_back({f->uid, std::move(*f->flags)});
                                   }
                                   return base::Ok{};
                               });
            if (!r) {
                return r.error();
            }
            if (auto ok = checkTagged(*r, "UID FETCH"); !ok) {
                return ok.error();
            }
            std::sort(out.begin(), out.end(),
                      [](const MessageFlags& a, const MessageFlags& b) { return a.uid < b.uid; });
            return out;
        });
}

base::Result<void> ImapClient::fetchHeaders(std::string_view folder, std::span<const std::uint64_t> uids,
                                            const HeaderCallback& onMessage) {
    if (uids.empty()) {
        return base::Ok{};
    }
    if (auto s = ensureSelected(folder); !s) {
        return s;
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<void> {
        auto r = c.command("UID FETCH " + uidSet(uids) + " (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER])",
                           [&](const ImapResponse& u) -> base::Result<void> {
                               auto f = fetchEntry(u);
                               if (!f || f->uid == 0 || !f->header) {
                                   return base::Ok{}; // e.g. an unsolicited flag update
                               }
                               MessageHeader m;
                               m.uid = f->uid;
                               m.flags = f->flags.value_or(std::vector<std::string>{});
                               m.internalDate = f->internalDate.value_or(0);
                               m.size = f->size.value_or(0);
                               m.header = std::move(*f->header);
                               return onMessage(std::move(m));
                           });
        if (!r) {
            return r.error();
        }
        return checkTagged(*r, "UID FETCH");
    });
}

base::Result<void> ImapClient::fetchMessage(std::string_view folder, std::uint64_t uid, base::ByteSink& sink) {
    if (auto s = ensureSelected(folder); !s) {
        return s;
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<void> {
        bool found = false;
        const LiteralTarget target = [&](std::string_view soFar) -> base::ByteSink* {
            std::string_view head = soFar.substr(0, soFar.rfind('{'));
            while (!head.empty() && head.back() == ' ') {
                head.remove_suffix(1);
            }
            if (endsWithIgnoreCase(head, "BODY[]")) {
                found = true;
                return &sink;
            }
            return nullptr;
        };
        auto r = c.command("UID FETCH " + std::to_string(uid) + " (UID BODY.PEEK[])", {}, target);
        if (!r) {
            return r.error();
        }
        if (auto ok = checkTagged(*r, "UID FETCH"); !ok) {
            return ok;
        }
        if (!found) {
            return base::makeError(ErrorCode::NotFound,
                                   "no message with UID " + std::to_string(uid) + " in " + std::string(folder));
        }
        return base::Ok{};
    });
}

base::Result<void> ImapClient::setFlags(std::string_view folder, std::uint64_t uid, std::span<const std::string> add,
                                        std::span<const std::string> remove) {
    for (const auto& f : add) {
        if (!validFlag(f)) {
            return base::makeError(ErrorCode::InvalidArgument, "not an IMAP flag: " + f);
        }
    }
    for (const auto& f : remove) {
        if (!validFlag(f)) {
            return base::makeError(ErrorCode::InvalidArgument, "not an IMAP flag: " + f);
        }
    }
    if (auto s = ensureSelected(folder); !s) {
        return s;
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<void> {
        const std::string id = std::to_string(uid);
        if (!add.empty()) {
            auto r = c.command("UID STORE " + id + " +FLAGS.SILENT " + flagList(add), {});
            if (!r) {
                return r.error();
            }
            if (auto ok = checkTagged(*r, "UID STORE"); !ok) {
                return ok;
            }
        }
        if (!remove.empty()) {
            auto r = c.command("UID STORE " + id + " -FLAGS.SILENT " + flagList(remove), {});
            if (!r) {
                return r.error();
            }
            return checkTagged(*r, "UID STORE");
        }
        return base::Ok{};
    });
}

base::Result<void> ImapClient::move(std::string_view folder, std::uint64_t uid, std::string_view target) {
    if (auto s = ensureSelected(folder); !s) {
        return s;
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<void> {
        auto r = c.command("UID MOVE " + std::to_string(uid) + " " + imapQuote(target), {});
        if (!r) {
            return r.error();
        }
        return checkTagged(*r, "UID MOVE");
    });
}

base::Result<std::vector<std::uint64_t>> ImapClient::searchHeader(std::string_view folder, std::string_view field,
                                                                  std::string_view value) {
    if (auto s = ensureSelected(folder); !s) {
        return s.error();
    }
    return withConnection(*this, m_conn, m_cancel, m_selected,
                          [&](Connection& c) -> base::Result<std::vector<std::uint64_t>> {
                              std::vector<std::uint64_t> uids;
                              auto r = c.command("UID SEARCH HEADER " + imapQuote(field) + " " + imapQuote(value),
                                                 [&](const ImapResponse& u) -> base::Result<void> {
                                                     if (!u.values.empty() && u.values[0].isAtom("SEARCH")) {
                                                         for (std::size_t i = 1; i < u.values.size(); ++i) {
                                                             if (auto n = u.values[i].number()) {
                                                                 uids.push_back(*n);
                                                             }
                                                         }
                                                     }
                                                     return base::Ok{};
                                                 });
                              if (!r) {
                                  return r.error();
                              }
                              if (auto ok = checkTagged(*r, "UID SEARCH"); !ok) {
                                  return ok.error();
                              }
                              return uids;
                          });
}

base::Result<void> ImapClient::remove(std::string_view folder, std::uint64_t uid) {
    if (auto s = ensureSelected(folder); !s) {
        return s;
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<void> {
        const std::string id = std::to_string(uid);
        auto r = c.command("UID STORE " + id + " +FLAGS.SILENT (\\Deleted)", {});
        if (!r) {
            return r.error();
        }
        if (auto ok = checkTagged(*r, "UID STORE"); !ok) {
            return ok;
        }
        r = c.command("UID EXPUNGE " + id, {});
        if (!r) {
            return r.error();
        }
        return checkTagged(*r, "UID EXPUNGE");
    });
}

base::Result<std::uint64_t> ImapClient::append(std::string_view folder, base::ByteView message,
                                               std::span<const std::string> flags) {
    for (const auto& f : flags) {
        if (!validFlag(f)) {
            return base::makeError(ErrorCode::InvalidArgument, "not an IMAP flag: " + f);
        }
    }
    return withConnection(*this, m_conn, m_cancel, m_selected, [&](Connection& c) -> base::Result<std::uint64_t> {
        bool sent = false;
        auto r = c.command("APPEND " + imapQuote(folder) + " " + flagList(flags) + " {" +
                               std::to_string(message.size()) + "}",
                           {}, {}, [&]() -> base::Result<void> {
                               if (sent) {
                                   return c.fail(ErrorCode::ProtocolError, "IMAP: unexpected continuation request");
                               }
                               sent = true;
                               std::string_view data = base::asString(message);
                               while (!data.empty()) {
                                   const std::size_t n = std::min(data.size(), kChunk);
                                   if (auto s = c.sendAll(data.substr(0, n)); !s) {
                                       return s;
                                   }
                                   data.remove_prefix(n);
                               }
                               return c.sendAll("\r\n");
                           });
        if (!r) {
            return r.error();
        }
        if (auto ok = checkTagged(*r, "APPEND to " + std::string(folder)); !ok) {
            return ok.error();
        }
        // [APPENDUID uidvalidity uid]
        if (r->code.size() > 10 && endsWithIgnoreCase(r->code.substr(0, 9), "APPENDUID")) {
            const std::size_t space = r->code.rfind(' ');
            ImapValue v;
            v.kind = ImapValue::Kind::Atom;
            v.text = r->code.substr(space + 1);
            return v.number().value_or(0);
        }
        return std::uint64_t{0};
    });
}

std::string uidSet(std::span<const std::uint64_t> uids) {
    std::vector<std::uint64_t> sorted(uids.begin(), uids.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) {
            ++j;
        }
        if (!out.empty()) {
            out.push_back(',');
        }
        out += std::to_string(sorted[i]);
        if (j > i) {
            out += ":" + std::to_string(sorted[j]);
        }
        i = j + 1;
    }
    return out;
}

} // namespace sealpost::mail
