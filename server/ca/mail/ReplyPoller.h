#pragma once

#include "ca/ChallengeMail.h"
#include "mail/ServerSettings.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace sealpost::mail {
class ImapClient;
}

namespace sealpost::ca::mail {

class DkimVerifier;

struct ReplyPollerOptions {
    sealpost::mail::ServerSettings imap; // the CA's mailbox
    std::string folder = "INBOX";
    std::size_t maxMessageBytes = 256 * 1024; // larger mails are deleted unread
};

// What one poll did (for logs and tests).
struct PollSummary {
    std::size_t seen = 0;      // messages found in the folder
    std::size_t delivered = 0; // parsed and handed to the ReplySink
    std::size_t rejected = 0;  // unparseable or too large: deleted without delivery
    std::size_t kept = 0;      // left for the next poll because the sink or the server failed
};

// Reads replies from the CA's mailbox over IMAP: parses each (acme::parseReply), checks DKIM,
// hands it to the ReplySink and deletes it (\Deleted + UID EXPUNGE), unparseable ones included.
// A mail the sink fails on (an error, not a verdict) stays for the next poll. Logs one line per
// mail through `log`; never prints. pollOnce() and run() must not be called concurrently.
class ReplyPoller {
public:
    using Log = std::function<void(std::string_view line)>;

    // `dkim` may be null (no DKIM check: every reply has dkimVerified == false); `sink` and
    // `dkim` must outlive the poller.
    ReplyPoller(ReplyPollerOptions options, ReplySink& sink, const DkimVerifier* dkim, Log log);
    ~ReplyPoller();
    ReplyPoller(const ReplyPoller&) = delete;
    ReplyPoller& operator=(const ReplyPoller&) = delete;
    ReplyPoller(ReplyPoller&&) = delete;
    ReplyPoller& operator=(ReplyPoller&&) = delete;

    // One pass over the folder. Errors: those of mail::ImapClient (connection, login, folder);
    // per-message failures are logged and counted, not returned.
    [[nodiscard]] base::Result<PollSummary> pollOnce();

    // Polls every `interval` until stop(); a failed poll is logged and retried at the next tick.
    void run(std::chrono::milliseconds interval);
    // Makes run() return soon (from any thread); pending waits end at once.
    void stop();

private:
    enum class Outcome { Delivered, Rejected, Kept };
    [[nodiscard]] Outcome handle(std::uint64_t uid, std::uint64_t size);

    ReplyPollerOptions m_options;
    ReplySink& m_sink;
    const DkimVerifier* m_dkim;
    Log m_log;
    std::unique_ptr<sealpost::mail::ImapClient> m_imap;
    std::mutex m_stopMutex;
    std::condition_variable m_stopSignal;
    bool m_stopped = false; // guarded by m_stopMutex
};

} // namespace sealpost::ca::mail
