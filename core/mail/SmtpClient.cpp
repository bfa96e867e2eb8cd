#include "mail/SmtpClient.h"

#include "mail/Curl.h"

#include <curl/curl.h>
#include <span>

namespace sealpost::mail {

using base::ErrorCode;

namespace detail {

// State the curl callbacks share with send().
struct SmtpTransfer {
    const SmtpSubmission* submission = nullptr;
    std::string reply;         // the server's last reply
    std::string refusal;       // its last 4xx or 5xx reply (QUIT's 221 may follow it)
    bool replyComplete = true; // the next reply line starts a new reply
    bool endOfData = false;    // beforeEndOfData ran
    std::string abortReason;   // why a callback stopped the transfer
};

} // namespace detail

namespace {

std::size_t readMessage(char* buffer, std::size_t size, std::size_t count, void* arg) {
    auto* t = static_cast<detail::SmtpTransfer*>(arg);
    if (t->endOfData) {
        return 0;
    }
    auto n =
        t->submission->message->read(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer), size * count));
    if (!n) {
        t->abortReason = "reading the message: " + n.error().detail;
        return CURL_READFUNC_ABORT;
    }
    if (*n == 0) {
        if (t->submission->beforeEndOfData) {
            if (auto ok = t->submission->beforeEndOfData(); !ok) {
                t->abortReason = ok.error().detail;
                return CURL_READFUNC_ABORT;
            }
        }
        t->endOfData = true;
    }
    return *n;
}

// Keeps the server's replies (never what we send: that includes the credentials).
int noteServerReply(CURL* /*curl*/, curl_infotype type, char* data, std::size_t size, void* arg) {
    if (type != CURLINFO_HEADER_IN) {
        return 0;
    }
    auto* t = static_cast<detail::SmtpTransfer*>(arg);
    std::string_view line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    if (line.empty()) {
        return 0;
    }
    if (t->replyComplete) {
        t->reply.clear();
    } else {
        t->reply += " ";
    }
    t->reply += line;
    // "250-..." continues, "250 ..." ends a reply.
    t->replyComplete = !(line.size() >= 4 && line[3] == '-');
    if (t->replyComplete && (t->reply.front() == '4' || t->reply.front() == '5')) {
        t->refusal = t->reply;
    }
    return 0;
}

} // namespace

SmtpClient::SmtpClient(ServerSettings settings)
    : m_settings(std::move(settings)), m_curl(std::make_unique<detail::CurlHandle>()),
      m_transfer(std::make_unique<detail::SmtpTransfer>()) {}

SmtpClient::~SmtpClient() = default;

const std::string& SmtpClient::lastRefusal() const noexcept {
    return m_transfer->refusal;
}

base::Result<void> SmtpClient::send(const SmtpSubmission& submission) {
    if (submission.recipients == nullptr || submission.recipients->empty() || submission.message == nullptr) {
        return base::makeError(ErrorCode::InvalidArgument, "a message needs a recipient");
    }
    if (!m_configured) {
        if (auto ok = m_curl->configure(m_settings, "smtp"); !ok) {
            return ok;
        }
        m_configured = true;
    }
    CURL* c = m_curl->get();
    curl_slist* rcpt = nullptr;
    for (const auto& r : *submission.recipients) {
        const std::string bracketed = "<" + r + ">";
        curl_slist* next = curl_slist_append(rcpt, bracketed.c_str());
        if (next == nullptr) {
            curl_slist_free_all(rcpt);
            return base::makeError(ErrorCode::InvalidArgument, "out of memory");
        }
        rcpt = next;
    }
    const std::string from = "<" + std::string(submission.envelopeFrom) + ">";
    *m_transfer = detail::SmtpTransfer{};
    m_transfer->submission = &submission;
    bool ok = curl_easy_setopt(c, CURLOPT_URL, m_curl->baseUrl().c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_READFUNCTION, readMessage) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_READDATA, m_transfer.get()) == CURLE_OK;
    // No CURLOPT_INFILESIZE: with a known size libcurl ends the data without asking the read
    // callback for more, and beforeEndOfData would never run.
    ok = ok && curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, noteServerReply) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_DEBUGDATA, m_transfer.get()) == CURLE_OK;
    ok = ok && curl_easy_setopt(c, CURLOPT_VERBOSE, 1L) == CURLE_OK;
    if (!ok) {
        curl_slist_free_all(rcpt);
        return base::makeError(ErrorCode::Unsupported, "libcurl lacks an SMTP option");
    }
    auto result = m_curl->perform("SMTP submission");
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, nullptr);
    curl_slist_free_all(rcpt);
    if (result) {
        return result;
    }
    base::Error error = result.error();
    if (!m_transfer->abortReason.empty()) {
        // Our own callback stopped it: not the server's doing, so the caller decides.
        return base::makeError(ErrorCode::Cancelled, "SMTP submission stopped: " + m_transfer->abortReason);
    }
    const std::string& refusal = m_transfer->refusal;
    if (!refusal.empty()) {
        error.detail += "; the server said: " + refusal;
        // libcurl maps some SMTP refusals to codes without the reply number; the reply decides.
        if (error.code == ErrorCode::TemporaryFailure && refusal[0] == '5') {
            error.code = ErrorCode::PermanentFailure;
        } else if (error.code == ErrorCode::PermanentFailure && refusal[0] == '4') {
            error.code = ErrorCode::TemporaryFailure;
        }
    }
    return error;
}

} // namespace sealpost::mail
