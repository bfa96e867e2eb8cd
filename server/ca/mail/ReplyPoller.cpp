#include "ca/mail/ReplyPoller.h"

#include "acme/EmailChallenge.h"
#include "ca/mail/DkimVerifier.h"
#include "mail/ImapClient.h"

#include <algorithm>
#include <span>
#include <string>
#include <vector>

namespace sealpost::ca::mail {

namespace {

constexpr std::size_t kFetchBatch = 200; // UIDs per FETCH, as ImapClient::fetchHeaders asks

std::string_view verdictName(ReplyVerdict v) {
    switch (v) {
    case ReplyVerdict::Accepted: return "accepted";
    case ReplyVerdict::IncorrectResponse: return "incorrect-response";
    case ReplyVerdict::Unauthorized: return "unauthorized";
    case ReplyVerdict::Ignored: return "ignored";
    }
    return "unknown";
}

} // namespace

ReplyPoller::ReplyPoller(ReplyPollerOptions options, ReplySink& sink, const DkimVerifier* dkim, Log log)
    : m_options(std::move(options)), m_sink(sink), m_dkim(dkim), m_log(std::move(log)),
      m_imap(std::make_unique<sealpost::mail::ImapClient>(m_options.imap)) {}

ReplyPoller::~ReplyPoller() = default;

base::Result<PollSummary> ReplyPoller::pollOnce() {
    auto listed = m_imap->fetchFlags(m_options.folder);
    if (!listed) {
        return listed.error();
    }
    std::vector<std::uint64_t> uids;
    uids.reserve(listed->size());
    for (const auto& m : *listed) {
        uids.push_back(m.uid);
    }
    PollSummary summary;
    if (uids.empty()) {
        return summary;
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sizes; // uid, RFC822.SIZE
    const auto collect = [&sizes](sealpost::mail::MessageHeader&& h) {
        sizes.emplace_back(h.uid, h.size);
        return base::Result<void>(base::Ok{});
    };
    const std::span<const std::uint64_t> all(uids);
    for (std::size_t at = 0; at < all.size(); at += kFetchBatch) {
        auto fetched =
            m_imap->fetchHeaders(m_options.folder, all.subspan(at, std::min(kFetchBatch, all.size() - at)), collect);
        if (!fetched) {
            return fetched.error();
        }
    }
    for (const auto& [uid, size] : sizes) {
        ++summary.seen;
        switch (handle(uid, size)) {
        case Outcome::Delivered: ++summary.delivered; break;
        case Outcome::Rejected: ++summary.rejected; break;
        case Outcome::Kept: ++summary.kept; break;
        }
    }
    return summary;
}

ReplyPoller::Outcome ReplyPoller::handle(std::uint64_t uid, std::uint64_t size) {
    const std::string where = "reply uid " + std::to_string(uid) + ": ";
    auto remove = [&](Outcome outcome) {
        if (auto removed = m_imap->remove(m_options.folder, uid); !removed) {
            m_log(where + "cannot delete: " + removed.error().detail);
            return Outcome::Kept;
        }
        return outcome;
    };
    if (size > m_options.maxMessageBytes) {
        m_log(where + "deleted unread, " + std::to_string(size) + " bytes is over the limit");
        return remove(Outcome::Rejected);
    }
    std::string raw;
    base::StringSink sink(raw);
    if (auto fetched = m_imap->fetchMessage(m_options.folder, uid, sink); !fetched) {
        m_log(where + "cannot fetch: " + fetched.error().detail);
        return Outcome::Kept;
    }
    auto parsed = acme::parseReply(raw);
    if (!parsed) {
        m_log(where + "deleted, not a challenge reply: " + parsed.error().detail);
        return remove(Outcome::Rejected);
    }
    ChallengeReply reply{parsed->tokenPart1, parsed->fromAddress, parsed->response, false, parsed->messageId};
    std::string dkimNote = "dkim not checked";
    if (m_dkim != nullptr) {
        auto check = m_dkim->verify(raw);
        reply.dkimVerified = check && check->verified;
        dkimNote = check ? "dkim " + std::string(check->verified ? "pass" : "fail") + " (" + check->detail + ")"
                         : "dkim error: " + check.error().detail;
    }
    auto verdict = m_sink.acceptReply(reply);
    if (!verdict) {
        m_log(where + "kept, the challenge store failed: " + verdict.error().detail);
        return Outcome::Kept;
    }
    m_log(where + "token " + reply.tokenPart1 + " from " + reply.fromAddress + ", message-id <" + reply.messageId +
          ">, " + dkimNote + ": " + std::string(verdictName(*verdict)));
    return remove(Outcome::Delivered);
}

void ReplyPoller::run(std::chrono::milliseconds interval) {
    std::unique_lock lock(m_stopMutex);
    while (!m_stopped) {
        lock.unlock();
        if (auto polled = pollOnce(); !polled) {
            m_log("mailbox poll failed: " + polled.error().detail);
        }
        lock.lock();
        m_stopSignal.wait_for(lock, interval, [this] { return m_stopped; });
    }
}

void ReplyPoller::stop() {
    {
        const std::lock_guard lock(m_stopMutex);
        m_stopped = true;
    }
    m_stopSignal.notify_all();
}

} // namespace sealpost::ca::mail
