#include "engine/EnrollmentMailbox.h"

#include "base/ByteSink.h"
#include "mail/Envelope.h"
#include "mail/ImapClient.h"
#include "mail/SmtpClient.h"

#include <atomic>
#include <functional>
#include <optional>

namespace sealpost::engine {
namespace {

constexpr std::string_view kInbox = "INBOX";

class AccountMailbox final : public EnrollmentMailbox {
public:
    AccountMailbox(const store::Account& account, std::stop_token stop)
        : m_imap(account.imap), m_smtp(account.smtp), m_stop(std::move(stop)),
          m_onStop(std::in_place, m_stop, [this] { m_cancel.store(true); }) {
        m_imap.setCancelFlag(&m_cancel);
    }
    AccountMailbox(const AccountMailbox&) = delete;
    AccountMailbox& operator=(const AccountMailbox&) = delete;
    AccountMailbox(AccountMailbox&&) = delete;
    AccountMailbox& operator=(AccountMailbox&&) = delete;
    ~AccountMailbox() override { m_onStop.reset(); }

    base::Result<std::vector<std::uint64_t>> findBySubject(std::string_view subjectPart) override {
        return m_imap.searchHeader(kInbox, "Subject", subjectPart);
    }

    base::Result<std::string> fetch(std::uint64_t uid) override {
        std::string raw;
        base::StringSink sink(raw);
        if (auto fetched = m_imap.fetchMessage(kInbox, uid, sink); !fetched) {
            return fetched.error();
        }
        return raw;
    }

    base::Result<void> remove(std::uint64_t uid) override { return m_imap.remove(kInbox, uid); }

    base::Result<void> send(std::string_view from, std::string_view to, std::string_view message) override {
        mail::SubmissionSource source(message);
        const std::vector<std::string> recipients{std::string(to)};
        return m_smtp.send({from, &recipients, &source, {}});
    }

private:
    mail::ImapClient m_imap;
    mail::SmtpClient m_smtp;
    std::atomic<bool> m_cancel{false};
    std::stop_token m_stop;
    std::optional<std::stop_callback<std::function<void()>>> m_onStop;
};

} // namespace

std::unique_ptr<EnrollmentMailbox> makeAccountMailbox(const store::Account& account, std::stop_token stop) {
    return std::make_unique<AccountMailbox>(account, std::move(stop));
}

} // namespace sealpost::engine
