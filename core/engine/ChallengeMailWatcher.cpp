#include "engine/ChallengeMailWatcher.h"

#include "acme/EmailChallenge.h"
#include "smime/MessageOpener.h"

#include <span>

namespace sealpost::engine {
namespace {

constexpr std::string_view kChallengeSubject = "ACME:";

std::string durationText(std::chrono::seconds d) {
    if (d.count() % 60 == 0) {
        return std::to_string(d.count() / 60) + " min";
    }
    return std::to_string(d.count()) + " s";
}

} // namespace

base::Result<void> ChallengeMailWatcher::ignoreExisting() {
    auto uids = m_mailbox.findBySubject(kChallengeSubject);
    if (!uids) {
        return uids.error();
    }
    m_tried.insert(uids->begin(), uids->end());
    return {};
}

base::Result<std::optional<ChallengeMail>> ChallengeMailWatcher::lookOnce(const ChallengeWatch& watch) {
    auto uids = m_mailbox.findBySubject(kChallengeSubject);
    if (!uids) {
        return uids.error();
    }
    const auto skip = [&](std::uint64_t uid, const std::string& why) {
        if (watch.onSkipped) {
            watch.onSkipped(uid, why);
        }
    };
    for (const std::uint64_t uid : *uids) {
        if (!m_tried.insert(uid).second) {
            continue;
        }
        auto raw = m_mailbox.fetch(uid);
        if (!raw) {
            if (raw.error().code == base::ErrorCode::NotFound) {
                continue;
            }
            return raw.error();
        }
        smime::OpenOptions options;
        options.trustAnchors = std::span<const crypto::Certificate>(watch.caRoot, 1);
        options.at = watch.clock->now();
        auto opened = smime::openMessage(std::string_view(*raw), options);
        if (!opened) {
            skip(uid, std::string(base::errorCodeName(opened.error().code)) + ": " + opened.error().detail);
            continue;
        }
        const acme::ChallengeRecognition recognition =
            acme::recognizeChallenge(*raw, opened->report, {watch.from, watch.address});
        if (!recognition.recognised()) {
            skip(uid, std::string(acme::challengeRuleName(recognition.failed)) + ": " + recognition.detail);
            continue;
        }
        return std::optional(ChallengeMail{uid, recognition.tokenPart1, recognition.messageId});
    }
    return std::optional<ChallengeMail>();
}

base::Result<ChallengeMail> ChallengeMailWatcher::wait(const ChallengeWatch& watch) {
    if (watch.caRoot == nullptr || watch.clock == nullptr || watch.sleeper == nullptr) {
        return base::makeError(base::ErrorCode::InvalidArgument, "the watch needs a CA root, a clock and a sleeper");
    }
    const base::TimePoint deadline = watch.clock->now() + watch.timeout;
    for (;;) {
        if (watch.stop.stop_requested()) {
            return base::makeError(base::ErrorCode::Cancelled, "cancelled");
        }
        auto found = lookOnce(watch);
        if (!found) {
            return found.error();
        }
        if (*found) {
            return std::move(**found);
        }
        if (watch.clock->now() + watch.interval > deadline) {
            return base::makeError(base::ErrorCode::TemporaryFailure,
                                   "none arrived within " + durationText(watch.timeout));
        }
        if (!watch.sleeper->sleepFor(watch.interval, watch.stop)) {
            return base::makeError(base::ErrorCode::Cancelled, "cancelled");
        }
    }
}

} // namespace sealpost::engine
