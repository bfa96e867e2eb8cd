#include "acme/RenewalPolicy.h"

#include <gtest/gtest.h>
#include <vector>

namespace sealpost::acme {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-24T10:00:00Z: on the hour, to catch schedules that land there.
const base::TimePoint kNow = std::chrono::sys_days(std::chrono::year(2026) / 11 / 24) + hours(10);

UnitRandom fixed(double value) {
    return [value] { return value; };
}

std::int64_t secondsIntoHour(base::TimePoint t) {
    return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count() % 3600;
}

// --- ARI window ---

TEST(RenewalPolicyTest, AriChoiceAtTheStartOfTheWindow) {
    const AriWindow window{kNow + days(10), kNow + days(12)};
    EXPECT_EQ(chooseRenewalTime(window, kNow, fixed(0.0)), window.start);
}

TEST(RenewalPolicyTest, AriChoiceAtTheEndOfTheWindowStaysInsideIt) {
    const AriWindow window{kNow + days(10), kNow + days(12)};
    const auto chosen = chooseRenewalTime(window, kNow, fixed(0.999999999));
    EXPECT_LT(chosen, window.end);
    EXPECT_GE(chosen, window.end - seconds(1));
    // A source that breaks its contract (1.0 or more) is still kept inside the window.
    EXPECT_LT(chooseRenewalTime(window, kNow, fixed(1.0)), window.end);
    EXPECT_EQ(chooseRenewalTime(window, kNow, fixed(-3.0)), window.start);
}

TEST(RenewalPolicyTest, AriChoiceIsUniformInTheWindow) {
    const AriWindow window{kNow + days(10), kNow + days(12)};
    EXPECT_EQ(chooseRenewalTime(window, kNow, fixed(0.5)), kNow + days(11));
    EXPECT_EQ(chooseRenewalTime(window, kNow, fixed(0.25)), kNow + days(10) + hours(12));
}

TEST(RenewalPolicyTest, AriWindowInThePastMeansNow) {
    const AriWindow past{kNow - days(3), kNow - days(1)};
    EXPECT_EQ(chooseRenewalTime(past, kNow, fixed(0.0)), kNow);
    EXPECT_EQ(chooseRenewalTime(past, kNow, fixed(0.99)), kNow);
    const AriWindow endsNow{kNow - days(1), kNow};
    EXPECT_EQ(chooseRenewalTime(endsNow, kNow, fixed(0.5)), kNow);
}

TEST(RenewalPolicyTest, AriChoiceBeforeNowInAnOpenWindowMeansNow) {
    const AriWindow open{kNow - days(1), kNow + days(1)};
    EXPECT_EQ(chooseRenewalTime(open, kNow, fixed(0.1)), kNow);
    EXPECT_EQ(chooseRenewalTime(open, kNow, fixed(0.75)), kNow + hours(12));
}

TEST(RenewalPolicyTest, WindowValidity) {
    EXPECT_TRUE((AriWindow{kNow, kNow + seconds(1)}).valid());
    EXPECT_FALSE((AriWindow{kNow, kNow}).valid());
    EXPECT_FALSE((AriWindow{kNow + days(1), kNow}).valid());
}

TEST(RenewalPolicyTest, ScheduleKeepsAnEarlierChoiceInsideTheWindow) {
    const AriWindow window{kNow + days(10), kNow + days(12)};
    const auto kept = scheduleFromAri(window, hours(6), kNow + days(11), kNow, fixed(0.0));
    EXPECT_EQ(kept.renewAt, kNow + days(11));
    EXPECT_EQ(kept.nextCheck, kNow + hours(6));
    // A window that moved away from the earlier choice draws again.
    const auto moved = scheduleFromAri(window, hours(6), kNow + days(20), kNow, fixed(0.0));
    EXPECT_EQ(moved.renewAt, window.start);
    // The Retry-After is clamped here too.
    EXPECT_EQ(scheduleFromAri(window, days(7), std::nullopt, kNow, fixed(0.0)).nextCheck, kNow + days(1));
    EXPECT_EQ(scheduleFromAri(window, seconds(1), std::nullopt, kNow, fixed(0.0)).nextCheck, kNow + minutes(1));
}

// --- Retry-After ---

TEST(RenewalPolicyTest, RetryAfterIsClampedBelowToOneMinute) {
    EXPECT_EQ(clampRetryAfter(seconds(0)), minutes(1));
    EXPECT_EQ(clampRetryAfter(seconds(59)), minutes(1));
    EXPECT_EQ(clampRetryAfter(seconds(-5)), minutes(1));
    EXPECT_EQ(retryAfterDelay("0", kNow), minutes(1));
    EXPECT_EQ(retryAfterDelay("30", kNow), minutes(1));
}

TEST(RenewalPolicyTest, RetryAfterIsClampedAboveToOneDay) {
    EXPECT_EQ(clampRetryAfter(hours(25)), hours(24));
    EXPECT_EQ(retryAfterDelay("86401", kNow), hours(24));
    EXPECT_EQ(retryAfterDelay("99999999999999999999", kNow), hours(24));
}

TEST(RenewalPolicyTest, RetryAfterInsideTheLimitsIsKept) {
    EXPECT_EQ(retryAfterDelay("60", kNow), minutes(1));
    EXPECT_EQ(retryAfterDelay(" 21600 ", kNow), hours(6));
    EXPECT_EQ(retryAfterDelay("86400", kNow), hours(24));
}

TEST(RenewalPolicyTest, RetryAfterAsAnHttpDate) {
    // kNow is Tue, 24 Nov 2026 10:00:00 GMT.
    EXPECT_EQ(retryAfterDelay("Tue, 24 Nov 2026 13:30:00 GMT", kNow), hours(3) + minutes(30));
    EXPECT_EQ(retryAfterDelay("Tue, 24 Nov 2026 09:00:00 GMT", kNow), minutes(1)) << "in the past";
    EXPECT_EQ(retryAfterDelay("Sat, 05 Dec 2026 10:00:00 GMT", kNow), hours(24)) << "too far";
}

TEST(RenewalPolicyTest, RetryAfterAbsentOrUnparseableIsSixHours) {
    EXPECT_EQ(retryAfterDelay(std::nullopt, kNow), hours(6));
    EXPECT_EQ(retryAfterDelay("", kNow), hours(6));
    EXPECT_EQ(retryAfterDelay("soon", kNow), hours(6));
    EXPECT_EQ(retryAfterDelay("-60", kNow), hours(6));
    EXPECT_EQ(retryAfterDelay("Tue, 31 Nov 2026 13:30:00 GMT", kNow), hours(6)) << "no such day";
    EXPECT_EQ(retryAfterDelay("Tue, 24 Nov 2026 13:30:00 UTC", kNow), hours(6));
}

// --- Without ARI ---

TEST(RenewalPolicyTest, NinetyDayCertificateRenewsWithAThirdLeft) {
    const auto notBefore = kNow - days(1);
    const auto notAfter = notBefore + days(90);
    EXPECT_EQ(renewalTimeWithoutAri(notBefore, notAfter), notAfter - days(30));
}

TEST(RenewalPolicyTest, NineDayCertificateRenewsWithHalfLeft) {
    const auto notBefore = kNow;
    const auto notAfter = notBefore + days(9);
    EXPECT_EQ(renewalTimeWithoutAri(notBefore, notAfter), notAfter - hours(108));
}

TEST(RenewalPolicyTest, TenDaysIsTheBoundaryOfTheHalfRule) {
    EXPECT_EQ(renewalTimeWithoutAri(kNow, kNow + days(10)), kNow + days(10) - seconds(days(10)) / 3);
    const auto justUnder = kNow + days(10) - seconds(2);
    EXPECT_EQ(renewalTimeWithoutAri(kNow, justUnder), kNow + (days(10) - seconds(2)) / 2);
}

// --- Backoff ---

TEST(RenewalPolicyTest, BackoffSequence) {
    const std::vector<seconds> expected{minutes(1), minutes(10), minutes(100), hours(24), hours(24), hours(24)};
    for (int failures = 1; failures <= static_cast<int>(expected.size()); ++failures) {
        EXPECT_EQ(failureBackoff(failures), expected.at(static_cast<std::size_t>(failures - 1))) << failures;
    }
    EXPECT_EQ(failureBackoff(0), seconds(0));
    EXPECT_EQ(failureBackoff(1000), hours(24));
}

// --- Check schedule ---

TEST(RenewalPolicyTest, ChecksAreTwiceADayOnAverage) {
    EXPECT_EQ(nextCheckTime(kNow + minutes(7), fixed(0.0)), kNow + minutes(7) + hours(6));
    EXPECT_EQ(nextCheckTime(kNow + minutes(7), fixed(0.5)), kNow + minutes(7) + hours(12));
    EXPECT_EQ(nextCheckTime(kNow + minutes(7), fixed(0.9999999)), kNow + minutes(7) + hours(18) - seconds(1));
}

TEST(RenewalPolicyTest, ChecksAreNeverOnTheHour) {
    // From a start on the hour, every draw that would land in the first minute of an hour moves.
    EXPECT_EQ(nextCheckTime(kNow, fixed(0.0)), kNow + hours(6) + minutes(1));
    EXPECT_EQ(nextCheckTime(kNow, fixed(0.5)), kNow + hours(12) + minutes(1));
    int moved = 0;
    constexpr int kSteps = 12 * 3600;
    for (int i = 0; i < kSteps; ++i) {
        const double u = (static_cast<double>(i) + 0.5) / kSteps;
        const auto next = nextCheckTime(kNow, fixed(u));
        ASSERT_GE(secondsIntoHour(next), 60) << u;
        ASSERT_GE(next, kNow + hours(6)) << u;
        ASSERT_LT(next, kNow + hours(18) + minutes(1)) << u;
        moved += next - kNow - hours(6) != seconds(i) ? 1 : 0;
    }
    EXPECT_EQ(moved, 12 * 60) << "only the first minute of each of the 12 hours moves";
}

TEST(RenewalPolicyTest, SystemRandomStaysInTheUnitInterval) {
    const UnitRandom random = systemUnitRandom();
    for (int i = 0; i < 1000; ++i) {
        const double u = random();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
}

// --- decide ---

RenewalState ninetyDays() {
    RenewalState s;
    s.notBefore = kNow - days(1);
    s.notAfter = s.notBefore + days(90);
    return s;
}

TEST(RenewalPolicyTest, DecideWithoutAriWaitsForTheLifetimeRule) {
    const RenewalState s = ninetyDays();
    const Decision d = decide(s, kNow);
    EXPECT_EQ(d.action, RenewalAction::Nothing);
    EXPECT_EQ(d.reason, RenewalReason::WaitingForRenewal);
    EXPECT_EQ(d.at, s.notAfter - days(30));
    const Decision later = decide(s, s.notAfter - days(30));
    EXPECT_EQ(later.action, RenewalAction::RenewNow);
    EXPECT_EQ(later.reason, RenewalReason::LifetimeReached);
}

TEST(RenewalPolicyTest, DecideChecksAriFirst) {
    RenewalState s = ninetyDays();
    s.caOffersAri = true;
    const Decision d = decide(s, kNow);
    EXPECT_EQ(d.action, RenewalAction::CheckAri);
    EXPECT_EQ(d.reason, RenewalReason::AriNeverChecked);
    EXPECT_EQ(d.at, kNow);
}

TEST(RenewalPolicyTest, DecideFollowsTheAriAnswer) {
    RenewalState s = ninetyDays();
    s.caOffersAri = true;
    s.ariWindow = AriWindow{kNow + days(50), kNow + days(52)};
    s.renewAt = kNow + days(51);
    s.nextAriCheck = kNow + hours(6);
    Decision d = decide(s, kNow);
    EXPECT_EQ(d.action, RenewalAction::Nothing);
    EXPECT_EQ(d.reason, RenewalReason::WaitingForAriCheck);
    EXPECT_EQ(d.at, kNow + hours(6));
    EXPECT_EQ(d.renewAt, kNow + days(51));

    d = decide(s, kNow + hours(6));
    EXPECT_EQ(d.action, RenewalAction::CheckAri);
    EXPECT_EQ(d.reason, RenewalReason::AriCheckDue);

    s.nextAriCheck = kNow + days(60);
    d = decide(s, kNow + days(51));
    EXPECT_EQ(d.action, RenewalAction::RenewNow);
    EXPECT_EQ(d.reason, RenewalReason::AriWindowReached);
    d = decide(s, kNow);
    EXPECT_EQ(d.reason, RenewalReason::WaitingForRenewal);
    EXPECT_EQ(d.at, kNow + days(51));
}

TEST(RenewalPolicyTest, DecideUsesTheLifetimeRuleWhenTheAriWindowIsInvalid) {
    RenewalState s = ninetyDays();
    s.caOffersAri = true;
    s.ariWindow = AriWindow{kNow + days(52), kNow + days(50)};
    s.renewAt = kNow + days(51);
    s.nextAriCheck = kNow + days(70);
    const Decision d = decide(s, s.notAfter - days(30));
    EXPECT_EQ(d.action, RenewalAction::RenewNow);
    EXPECT_EQ(d.reason, RenewalReason::LifetimeReached);
}

TEST(RenewalPolicyTest, DecideBacksOffAfterFailures) {
    RenewalState s = ninetyDays();
    s.notBefore = kNow - days(80);
    s.notAfter = kNow + days(10); // a third of 90 days left: renewal due
    s.consecutiveFailures = 3;
    s.lastFailureAt = kNow;
    Decision d = decide(s, kNow + minutes(99));
    EXPECT_EQ(d.action, RenewalAction::Nothing);
    EXPECT_EQ(d.reason, RenewalReason::BackingOff);
    EXPECT_EQ(d.at, kNow + minutes(100));
    d = decide(s, kNow + minutes(100));
    EXPECT_EQ(d.action, RenewalAction::RenewNow);
    EXPECT_EQ(d.reason, RenewalReason::LifetimeReached);
}

TEST(RenewalPolicyTest, DecideRenewsAnExpiredCertificateAndIgnoresAReplacedOne) {
    RenewalState s = ninetyDays();
    Decision d = decide(s, s.notAfter + hours(1));
    EXPECT_EQ(d.action, RenewalAction::RenewNow);
    EXPECT_EQ(d.reason, RenewalReason::Expired);
    s.replaced = true;
    d = decide(s, s.notAfter + hours(1));
    EXPECT_EQ(d.action, RenewalAction::Nothing);
    EXPECT_EQ(d.reason, RenewalReason::Replaced);
    EXPECT_EQ(d.at, base::TimePoint::max());
}

TEST(RenewalPolicyTest, ReasonAndActionNames) {
    EXPECT_EQ(renewalReasonName(RenewalReason::AriWindowReached), "ari-window-reached");
    EXPECT_EQ(renewalReasonName(RenewalReason::BackingOff), "backing-off");
    EXPECT_EQ(renewalActionName(RenewalAction::CheckAri), "check-ari");
    EXPECT_EQ(renewalActionName(RenewalAction::RenewNow), "renew-now");
}

} // namespace
} // namespace sealpost::acme
