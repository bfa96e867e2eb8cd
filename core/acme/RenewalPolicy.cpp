#include "acme/RenewalPolicy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>

namespace sealpost::acme {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

double unit(const UnitRandom& random) {
    const double u = random ? random() : 0.0;
    if (!(u >= 0.0)) { // also NaN
        return 0.0;
    }
    return std::min(u, std::nextafter(1.0, 0.0));
}

// A point `u` of the way through [from, from + span), in whole seconds.
base::TimePoint along(base::TimePoint from, seconds span, double u) {
    const auto offset = static_cast<seconds::rep>(std::floor(u * static_cast<double>(span.count())));
    return from + seconds(std::clamp<seconds::rep>(offset, 0, std::max<seconds::rep>(span.count() - 1, 0)));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<int> digits(std::string_view s) {
    if (s.empty() || s.size() > 9) {
        return std::nullopt;
    }
    int value = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

// IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<base::TimePoint> parseImfFixdate(std::string_view s) {
    static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s.substr(25) != " GMT") {
        return std::nullopt;
    }
    const auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
    const auto day = digits(s.substr(5, 2));
    const auto year = digits(s.substr(12, 4));
    const auto hour = digits(s.substr(17, 2));
    const auto minute = digits(s.substr(20, 2));
    const auto second = digits(s.substr(23, 2));
    if (month == kMonths.end() || !day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year),
                                           std::chrono::month(static_cast<unsigned>(month - kMonths.begin() + 1)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second);
}

} // namespace

UnitRandom systemUnitRandom() {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    auto engine = std::make_shared<std::mt19937_64>(seed);
    return [engine]() { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

seconds clampRetryAfter(seconds delay) noexcept {
    return std::clamp(delay, kMinRetryAfter, kMaxRetryAfter);
}

seconds retryAfterDelay(std::optional<std::string_view> header, base::TimePoint now) {
    if (!header) {
        return kDefaultRetryAfter;
    }
    const std::string_view value = trim(*header);
    if (!value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        // More digits than fit an int is more than a day anyway.
        const auto parsed = digits(value);
        return parsed ? clampRetryAfter(seconds(*parsed)) : kMaxRetryAfter;
    }
    if (const auto date = parseImfFixdate(value)) {
        return clampRetryAfter(duration_cast<seconds>(*date - now));
    }
    return kDefaultRetryAfter;
}

base::TimePoint chooseRenewalTime(const AriWindow& window, base::TimePoint now, const UnitRandom& random) {
    const double u = unit(random); // drawn even for a past window, so the sequence does not depend on it
    if (window.end <= now) {
        return now;
    }
    const base::TimePoint chosen = along(window.start, duration_cast<seconds>(window.end - window.start), u);
    return std::max(chosen, now);
}

AriSchedule scheduleFromAri(const AriWindow& window, seconds retryAfter, std::optional<base::TimePoint> previousChoice,
                            base::TimePoint now, const UnitRandom& random) {
    AriSchedule schedule{};
    if (previousChoice && *previousChoice >= window.start && *previousChoice < window.end) {
        schedule.renewAt = std::max(*previousChoice, now);
    } else {
        schedule.renewAt = chooseRenewalTime(window, now, random);
    }
    schedule.nextCheck = now + clampRetryAfter(retryAfter);
    return schedule;
}

base::TimePoint renewalTimeWithoutAri(base::TimePoint notBefore, base::TimePoint notAfter) noexcept {
    const auto lifetime = duration_cast<seconds>(notAfter - notBefore);
    if (lifetime <= seconds(0)) {
        return notBefore;
    }
    return notAfter - (lifetime < hours(24 * 10) ? lifetime / 2 : lifetime / 3);
}

base::TimePoint nextCheckTime(base::TimePoint now, const UnitRandom& random) {
    base::TimePoint next = along(std::chrono::floor<seconds>(now) + hours(6), hours(12), unit(random));
    const auto intoHour = duration_cast<seconds>(next.time_since_epoch()) % hours(1);
    if (intoHour < minutes(1)) {
        next += minutes(1);
    }
    return next;
}

seconds failureBackoff(int consecutiveFailures) noexcept {
    switch (consecutiveFailures) {
    case 0: return seconds(0);
    case 1: return minutes(1);
    case 2: return minutes(10);
    case 3: return minutes(100);
    default: return consecutiveFailures < 0 ? seconds(0) : hours(24);
    }
}

std::string_view renewalActionName(RenewalAction action) noexcept {
    switch (action) {
    case RenewalAction::Nothing: return "nothing";
    case RenewalAction::CheckAri: return "check-ari";
    case RenewalAction::RenewNow: return "renew-now";
    }
    return "nothing";
}

std::string_view renewalReasonName(RenewalReason reason) noexcept {
    switch (reason) {
    case RenewalReason::Replaced: return "replaced";
    case RenewalReason::BackingOff: return "backing-off";
    case RenewalReason::Expired: return "expired";
    case RenewalReason::AriNeverChecked: return "ari-never-checked";
    case RenewalReason::AriCheckDue: return "ari-check-due";
    case RenewalReason::AriWindowReached: return "ari-window-reached";
    case RenewalReason::LifetimeReached: return "lifetime-reached";
    case RenewalReason::WaitingForAriCheck: return "waiting-for-ari-check";
    case RenewalReason::WaitingForRenewal: return "waiting-for-renewal";
    }
    return "waiting-for-renewal";
}

Decision decide(const RenewalState& state, base::TimePoint now) noexcept {
    if (state.replaced) {
        return {RenewalAction::Nothing, RenewalReason::Replaced, base::TimePoint::max(), std::nullopt};
    }
    const bool fromAri = state.caOffersAri && state.ariWindow && state.ariWindow->valid() && state.renewAt;
    const base::TimePoint renewAt = fromAri ? *state.renewAt : renewalTimeWithoutAri(state.notBefore, state.notAfter);
    if (state.consecutiveFailures > 0 && state.lastFailureAt) {
        const base::TimePoint retryAt = *state.lastFailureAt + failureBackoff(state.consecutiveFailures);
        if (now < retryAt) {
            return {RenewalAction::Nothing, RenewalReason::BackingOff, retryAt, renewAt};
        }
    }
    if (now >= state.notAfter) {
        return {RenewalAction::RenewNow, RenewalReason::Expired, now, renewAt};
    }
    if (now >= renewAt) {
        return {RenewalAction::RenewNow, fromAri ? RenewalReason::AriWindowReached : RenewalReason::LifetimeReached,
                now, renewAt};
    }
    if (!state.caOffersAri) {
        return {RenewalAction::Nothing, RenewalReason::WaitingForRenewal, renewAt, renewAt};
    }
    if (!state.nextAriCheck) {
        return {RenewalAction::CheckAri, fromAri ? RenewalReason::AriCheckDue : RenewalReason::AriNeverChecked, now,
                renewAt};
    }
    if (now >= *state.nextAriCheck) {
        return {RenewalAction::CheckAri, RenewalReason::AriCheckDue, now, renewAt};
    }
    if (*state.nextAriCheck < renewAt) {
        return {RenewalAction::Nothing, RenewalReason::WaitingForAriCheck, *state.nextAriCheck, renewAt};
    }
    return {RenewalAction::Nothing, RenewalReason::WaitingForRenewal, renewAt, renewAt};
}

} // namespace sealpost::acme
