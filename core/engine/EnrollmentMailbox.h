#pragma once

#include "base/Result.h"
#include "store/AccountStore.h"

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// The user's mailbox as enrollment uses it (docs/acme.md, "The challenge"): find and read
// candidate challenge mails in the INBOX, delete the answered one, submit the reply. A port, so
// that the enrollment logic can be tested without mail servers.
class EnrollmentMailbox {
public:
    virtual ~EnrollmentMailbox() = default;
    // UIDs of the INBOX messages whose Subject contains `subjectPart` (case-insensitive).
    [[nodiscard]] virtual base::Result<std::vector<std::uint64_t>> findBySubject(std::string_view subjectPart) = 0;
    // The whole raw message. NotFound when it is gone.
    [[nodiscard]] virtual base::Result<std::string> fetch(std::uint64_t uid) = 0;
    // Deletes the message from the INBOX (expunged).
    [[nodiscard]] virtual base::Result<void> remove(std::uint64_t uid) = 0;
    // Submits `message` (CRLF, with a Message-ID) with envelope sender `from` to the one recipient `to`.
    [[nodiscard]] virtual base::Result<void> send(std::string_view from, std::string_view to,
                                                  std::string_view message) = 0;
};

// The account's IMAP INBOX and SMTP server (mail::ImapClient, mail::SmtpClient). IMAP commands
// stop when `stop` is requested (Cancelled). Use from one thread at a time.
[[nodiscard]] std::unique_ptr<EnrollmentMailbox> makeAccountMailbox(const store::Account& account,
                                                                    std::stop_token stop = {});

} // namespace sealpost::engine
