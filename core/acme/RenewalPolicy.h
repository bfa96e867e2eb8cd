#pragma once

#include "base/Clock.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

namespace sealpost::acme {

// When to renew a certificate and when to ask the CA (docs/acme.md, "Renewal"): ARI (RFC 9773)
// when the CA offers it, else a fixed share of the lifetime; checks twice a day at random times;
// failures back off 1 min, 10 min, 100 min, then daily. Pure: no network, no store, no clock
// reads. Time comes in as arguments, randomness from a UnitRandom.

// A source of numbers uniform in [0, 1). Values outside are clamped into it, so a broken source
// cannot move a time out of its interval.
using UnitRandom = std::function<double()>;

// A UnitRandom seeded from the operating system (std::random_device), for production use. Copies
// share one generator; use it from one thread at a time.
[[nodiscard]] UnitRandom systemUnitRandom();

// The suggestedWindow of an ARI answer. Valid only when end > start (RFC 9773 section 4.2);
// an invalid one is treated as no answer.
struct AriWindow {
    base::TimePoint start;
    base::TimePoint end;
    [[nodiscard]] bool valid() const noexcept { return end > start; }
};

inline constexpr std::chrono::seconds kMinRetryAfter = std::chrono::minutes(1);
inline constexpr std::chrono::seconds kMaxRetryAfter = std::chrono::hours(24);
// When the CA sends no usable Retry-After: RFC 9773 section 4.3.3 (long-term errors) asks for the
// next poll after six hours.
inline constexpr std::chrono::seconds kDefaultRetryAfter = std::chrono::hours(6);

// Clamps a Retry-After delay to [kMinRetryAfter, kMaxRetryAfter].
[[nodiscard]] std::chrono::seconds clampRetryAfter(std::chrono::seconds delay) noexcept;

// The delay an HTTP Retry-After header value asks for: delay-seconds ("3600") or an IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT", taken relative to `now`), clamped. Absent or unparseable:
// kDefaultRetryAfter.
[[nodiscard]] std::chrono::seconds retryAfterDelay(std::optional<std::string_view> header, base::TimePoint now);

// A uniformly random time in [window.start, window.end). When that time is not after `now`
// (the window has begun, or lies wholly in the past) the answer is `now`: renew immediately.
// Precondition: window.valid().
[[nodiscard]] base::TimePoint chooseRenewalTime(const AriWindow& window, base::TimePoint now, const UnitRandom& random);

// What an ARI answer means for the schedule: when to renew and when to ask again.
struct AriSchedule {
    base::TimePoint renewAt;
    base::TimePoint nextCheck;
};

// The schedule after an ARI answer received at `now`. A `previousChoice` still inside the
// (possibly unchanged) window is kept, so asking twice a day does not draw a new time each time
// and pull renewal towards the window's start; otherwise a new time is drawn. The next check is
// `now` + `retryAfter` (clamped again here; retryAfterDelay gives it from the header).
// Precondition: window.valid().
[[nodiscard]] AriSchedule scheduleFromAri(const AriWindow& window, std::chrono::seconds retryAfter,
                                          std::optional<base::TimePoint> previousChoice, base::TimePoint now,
                                          const UnitRandom& random);

// Without ARI: when a third of the lifetime (notBefore..notAfter) remains, or half of it for
// lifetimes under 10 days.
[[nodiscard]] base::TimePoint renewalTimeWithoutAri(base::TimePoint notBefore, base::TimePoint notAfter) noexcept;

// When the background run should look again: uniform in [now + 6 h, now + 18 h), i.e. on average
// twice a day, spread so that clients do not synchronise. A time that falls in the first minute
// of an hour (hh:00:00 .. hh:00:59) is moved one minute later: never on the hour, when cron jobs
// everywhere hit the CA at once. Whole seconds.
[[nodiscard]] base::TimePoint nextCheckTime(base::TimePoint now, const UnitRandom& random);

// The wait before the next attempt after `consecutiveFailures` failures in a row:
// 0 -> none, 1 -> 1 min, 2 -> 10 min, 3 -> 100 min, 4 and more -> 24 h.
[[nodiscard]] std::chrono::seconds failureBackoff(int consecutiveFailures) noexcept;

// Everything decide() needs to know about one certificate's enrollment.
struct RenewalState {
    base::TimePoint notBefore;
    base::TimePoint notAfter;
    bool caOffersAri = false;
    // The last valid ARI answer: its window and the time chosen in it (scheduleFromAri).
    std::optional<AriWindow> ariWindow;
    std::optional<base::TimePoint> renewAt;
    // When ARI is due to be asked again (from the answer's Retry-After, or a failed check's backoff).
    std::optional<base::TimePoint> nextAriCheck;
    int consecutiveFailures = 0;
    std::optional<base::TimePoint> lastFailureAt;
    bool replaced = false; // a newer generation has taken over: nothing more to do for this one
};

enum class RenewalAction {
    Nothing,  // nothing to do now; look again at Decision::at (never, for a replaced certificate)
    CheckAri, // fetch the certificate's renewalInfo now
    RenewNow, // order a new certificate now
};
[[nodiscard]] std::string_view renewalActionName(RenewalAction action) noexcept; // "nothing", "check-ari", "renew-now"

enum class RenewalReason {
    Replaced,           // Nothing: a newer generation replaced this certificate
    BackingOff,         // Nothing until the backoff after the last failure ends
    Expired,            // RenewNow: the certificate is past notAfter
    AriNeverChecked,    // CheckAri: the CA offers ARI and no valid answer has come yet
    AriCheckDue,        // CheckAri: the last answer's Retry-After (or a failed check's backoff) has passed
    AriWindowReached,   // RenewNow: the time chosen in the ARI window has come
    LifetimeReached,    // RenewNow: without an ARI answer, the lifetime rule's time has come
    WaitingForAriCheck, // Nothing until the next ARI check (before the renewal time)
    WaitingForRenewal,  // Nothing until the renewal time
};
[[nodiscard]] std::string_view renewalReasonName(RenewalReason reason) noexcept; // "ari-window-reached"

struct Decision {
    RenewalAction action = RenewalAction::Nothing;
    RenewalReason reason = RenewalReason::WaitingForRenewal;
    // Nothing: when to look again (TimePoint::max() for Replaced). CheckAri/RenewNow: `now`.
    base::TimePoint at;
    // The renewal time the decision is based on (the ARI choice or the lifetime rule), when known.
    std::optional<base::TimePoint> renewAt;
};

// What to do about one certificate at `now`. In order: a replaced certificate needs nothing;
// a backoff after failures is waited out; an expired certificate is renewed; the renewal time
// (the ARI choice, else the lifetime rule, which also stands in while the CA's ARI answers are
// missing or invalid, so a CA whose ARI keeps failing still gets renewed) is acted on when
// reached; with ARI, a certificate without an answer or with a due check is checked; otherwise
// wait for the earlier of the next check and the renewal time.
[[nodiscard]] Decision decide(const RenewalState& state, base::TimePoint now) noexcept;

} // namespace sealpost::acme
