#pragma once
// The renewal run (docs/acme.md, "Renewal (client)"): for each enrolled current identity, what the
// renewal policy says now, an ARI check when one is due, a new generation when renewal is due.
// Results as data; nothing printed.

#include "acme/AcmeTypes.h"
#include "acme/RenewalPolicy.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "engine/Enrollment.h"
#include "store/AcmeStore.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// The policy's input for a stored record and the certificate it belongs to.
[[nodiscard]] acme::RenewalState renewalStateOf(const store::RenewalRecord& record,
                                                const crypto::Certificate& certificate);
// What the renewal policy makes of a stored record at `now` (the status command and the run
// share it).
[[nodiscard]] acme::Decision decisionFor(const store::RenewalRecord& record, const crypto::Certificate& certificate,
                                         base::TimePoint now);

// Puts an ARI answer received at `now` into the record: window, explanation, the renewal time
// (a time already chosen inside the window is kept), the next check from Retry-After, and
// ariCheckedAt. An invalid window (end not after start) changes only the next check.
void applyAriAnswer(store::RenewalRecord& record, const acme::RenewalInfo& info, base::TimePoint now,
                    const acme::UnitRandom& random);

// The mailbox of an address's mail account (the renewal run needs one per identity).
using MailboxFor = std::function<base::Result<std::unique_ptr<EnrollmentMailbox>>(std::string_view address)>;

struct RenewalRunOptions {
    bool force = false;                          // renew every enrolled current identity now
    const crypto::Certificate* caRoot = nullptr; // the CA root enrollment uses
    MailboxFor mailboxFor;
    std::chrono::seconds mailTimeout{600};
    std::chrono::milliseconds mailPollInterval{2000};
    std::chrono::seconds pollTimeout{300};
};

enum class RenewalOutcome {
    Nothing,    // nothing due
    AriChecked, // asked the CA; the record's schedule was updated (renewal not due yet)
    AriFailed,  // the ARI check failed (recorded; the next check backs off)
    Renewed,    // a new generation replaced this identity
    Failed,     // renewal failed (recorded with its step; the next attempt backs off)
};
[[nodiscard]] std::string_view renewalOutcomeName(RenewalOutcome outcome) noexcept; // "nothing", "ari-checked", ...

struct IdentityRenewal {
    std::int64_t identityId = 0;
    std::string address;
    acme::Decision decision; // the last decision taken (after an ARI check, the one with its answer)
    RenewalOutcome outcome = RenewalOutcome::Nothing;
    std::optional<Enrolled> renewed;          // Renewed
    std::optional<EnrollmentFailure> failure; // Failed, AriFailed
    int consecutiveFailures = 0;              // after this run
};

// Runs the policy for every renewal record of a current identity that no newer generation has
// replaced, at context.clock->now(). Renewal is enrollment with `replaces` (same address, same key
// type as before, rsa3072 when unknown); success marks the old record replaced and records the
// success, failure records the step and message (the backoff follows from the count).
// Errors: the store failed, or missing options; per-identity failures are in the report.
[[nodiscard]] base::Result<std::vector<IdentityRenewal>> runRenewals(const EnrollmentContext& context,
                                                                     const RenewalRunOptions& options);

} // namespace sealpost::engine
