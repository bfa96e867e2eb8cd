#pragma once

#include "acme/Sleeper.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "engine/EnrollmentMailbox.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <stop_token>
#include <string>

namespace sealpost::engine {

// The CA's challenge mail as found in the INBOX.
struct ChallengeMail {
    std::uint64_t uid = 0;
    std::string tokenPart1;
    std::string messageId; // without angle brackets
};

struct ChallengeWatch {
    const crypto::Certificate* caRoot = nullptr; // the only trust anchor for the mail's signature
    std::string from;                            // the challenge's "from"
    std::string address;                         // the address being enrolled
    const base::Clock* clock = nullptr;
    acme::Sleeper* sleeper = nullptr;
    std::stop_token stop;
    std::chrono::seconds timeout{600};
    std::chrono::milliseconds interval{2000};
    std::function<void(std::uint64_t uid, const std::string& why)> onSkipped; // a candidate that is not it
};

// Watches the INBOX for the challenge mail (docs/acme.md, "The client", step 3): candidates are
// the messages whose Subject contains "ACME:", each looked at once, opened with the CA root as the
// only anchor and accepted only when acme::recognizeChallenge accepts it.
class ChallengeMailWatcher {
public:
    explicit ChallengeMailWatcher(EnrollmentMailbox& mailbox) : m_mailbox(mailbox) {}

    // Takes the candidates in the INBOX now out of consideration: called before newOrder, since
    // the CA sends this order's mail only then. Errors: the mailbox's.
    [[nodiscard]] base::Result<void> ignoreExisting();

    // Looks every `interval` until the mail is there. TemporaryFailure "none arrived within N min"
    // after `timeout`, Cancelled when stopped, else the mailbox's errors.
    [[nodiscard]] base::Result<ChallengeMail> wait(const ChallengeWatch& watch);

private:
    [[nodiscard]] base::Result<std::optional<ChallengeMail>> lookOnce(const ChallengeWatch& watch);

    EnrollmentMailbox& m_mailbox;
    std::set<std::uint64_t> m_tried;
};

} // namespace sealpost::engine
