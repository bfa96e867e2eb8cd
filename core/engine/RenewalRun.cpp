#include "engine/RenewalRun.h"

#include "acme/AcmeClient.h"
#include "crypto/KeyGen.h"
#include "crypto/PublicKey.h"
#include "store/IdentityStore.h"

#include <map>

namespace sealpost::engine {

acme::RenewalState renewalStateOf(const store::RenewalRecord& record, const crypto::Certificate& certificate) {
    acme::RenewalState state;
    state.notBefore = certificate.notBefore();
    state.notAfter = certificate.notAfter();
    state.caOffersAri = record.caHasAri;
    if (record.ariWindow) {
        state.ariWindow = acme::AriWindow{record.ariWindow->start, record.ariWindow->end};
    }
    state.renewAt = record.renewAt;
    state.nextAriCheck = record.nextCheck;
    state.consecutiveFailures = record.consecutiveFailures;
    if (record.lastFailure) {
        state.lastFailureAt = record.lastFailure->at;
    }
    state.replaced = record.replacedBy.has_value();
    return state;
}

acme::Decision decisionFor(const store::RenewalRecord& record, const crypto::Certificate& certificate,
                           base::TimePoint now) {
    return acme::decide(renewalStateOf(record, certificate), now);
}

void applyAriAnswer(store::RenewalRecord& record, const acme::RenewalInfo& info, base::TimePoint now,
                    const acme::UnitRandom& random) {
    const std::chrono::seconds retryAfter = acme::clampRetryAfter(info.retryAfter.value_or(acme::kDefaultRetryAfter));
    const acme::AriWindow window{info.windowStart, info.windowEnd};
    record.ariCheckedAt = now;
    if (!window.valid()) {
        record.nextCheck = now + retryAfter;
        return;
    }
    const acme::AriSchedule schedule = acme::scheduleFromAri(window, retryAfter, record.renewAt, now, random);
    record.ariWindow = store::AriWindowTimes{window.start, window.end};
    record.ariExplanationUrl =
        info.explanationUrl.empty() ? std::nullopt : std::optional<std::string>(info.explanationUrl);
    record.renewAt = schedule.renewAt;
    record.nextCheck = schedule.nextCheck;
}

std::string_view renewalOutcomeName(RenewalOutcome outcome) noexcept {
    switch (outcome) {
    case RenewalOutcome::Nothing: return "nothing";
    case RenewalOutcome::AriChecked: return "ari-checked";
    case RenewalOutcome::AriFailed: return "ari-failed";
    case RenewalOutcome::Renewed: return "renewed";
    case RenewalOutcome::Failed: return "failed";
    }
    return "unknown";
}

namespace {

class RenewalRun {
public:
    RenewalRun(const EnrollmentContext& context, const RenewalRunOptions& options)
        : m_ctx(context), m_options(options), m_acme(*context.db, *context.clock) {}

    base::Result<void> one(const store::StoredIdentity& identity, store::RenewalRecord record,
                           IdentityRenewal& report) {
        const base::TimePoint now = m_ctx.clock->now();
        const crypto::Certificate& cert = identity.identity.certificate;
        report.decision = decisionFor(record, cert, now);
        report.consecutiveFailures = record.consecutiveFailures;
        if (!m_options.force && report.decision.action == acme::RenewalAction::CheckAri) {
            auto checked = checkAri(identity, record, report);
            if (!checked) {
                return checked.error();
            }
            if (report.outcome == RenewalOutcome::AriFailed) {
                return {};
            }
            report.decision = decisionFor(record, cert, now);
        }
        if (m_options.force || report.decision.action == acme::RenewalAction::RenewNow) {
            return renew(identity, report);
        }
        return {};
    }

private:
    base::Result<void> checkAri(const store::StoredIdentity& identity, store::RenewalRecord& record,
                                IdentityRenewal& report) {
        const base::TimePoint now = m_ctx.clock->now();
        auto info = fetchRenewalInfo(identity, record);
        if (!info) {
            if (info.error().code() == base::ErrorCode::Cancelled) {
                return base::makeError(base::ErrorCode::Cancelled, "cancelled");
            }
            EnrollmentFailure failure{EnrollStep::RenewalInfo, info.error().error, info.error().problem,
                                      info.error().retryAfter};
            auto count = m_acme.recordFailure(record.identityId, store::AcmeStep::Ari, failure.message());
            if (!count) {
                return count.error();
            }
            auto stored = m_acme.findRenewal(record.identityId);
            if (!stored || !*stored) {
                return stored ? base::makeError(base::ErrorCode::NotFound, "renewal record vanished") : stored.error();
            }
            record = **stored;
            record.nextCheck = now + acme::failureBackoff(*count);
            if (auto saved = m_acme.saveRenewal(record); !saved) {
                return saved.error();
            }
            report.outcome = RenewalOutcome::AriFailed;
            report.failure = std::move(failure);
            report.consecutiveFailures = *count;
            return {};
        }
        applyAriAnswer(record, *info, now, m_ctx.random);
        // A successful check ends a streak of failed checks, not a streak of failed renewals.
        if (record.lastFailure && record.lastFailure->step == store::AcmeStep::Ari) {
            record.consecutiveFailures = 0;
        }
        if (auto saved = m_acme.saveRenewal(record); !saved) {
            return saved.error();
        }
        report.outcome = RenewalOutcome::AriChecked;
        report.consecutiveFailures = record.consecutiveFailures;
        return {};
    }

    acme::AcmeResult<acme::RenewalInfo> fetchRenewalInfo(const store::StoredIdentity& identity,
                                                         const store::RenewalRecord& record) {
        if (!record.ariCertId) {
            return base::makeError(base::ErrorCode::InvalidArgument, "the certificate has no ARI CertID");
        }
        // renewalInfo is a plain GET: any key will do for the client; the account's when there is one.
        auto account = m_acme.findAccount(record.directoryUrl, identity.address);
        if (!account) {
            return account.error();
        }
        std::optional<crypto::PrivateKey> key;
        if (*account) {
            key = (*account)->key;
        } else {
            auto generated = crypto::generateKey(crypto::KeySpec::P256);
            if (!generated) {
                return generated.error();
            }
            key = *generated;
        }
        acme::AcmeClientConfig config;
        config.directoryUrl = record.directoryUrl;
        config.transport = m_ctx.transport;
        config.clock = m_ctx.clock;
        config.sleeper = m_ctx.sleeper;
        config.stop = m_ctx.stop;
        acme::AcmeClient client(config, *key);
        return client.renewalInfo(*record.ariCertId);
    }

    base::Result<void> renew(const store::StoredIdentity& identity, IdentityRenewal& report) {
        auto mailbox = m_options.mailboxFor(identity.address);
        EnrollmentResult result = [&]() -> EnrollmentResult {
            if (!mailbox) {
                return EnrollmentFailure{EnrollStep::WaitForMail, mailbox.error(), std::nullopt, std::nullopt};
            }
            auto record = m_acme.findRenewal(identity.id);
            if (!record || !*record) {
                return EnrollmentFailure{EnrollStep::Store,
                                         record ? base::Error{base::ErrorCode::NotFound, "no renewal record"}
                                                : record.error(),
                                         std::nullopt, std::nullopt};
            }
            EnrollmentRequest request;
            request.directoryUrl = (*record)->directoryUrl;
            request.address = identity.address;
            request.mailbox = mailbox->get();
            request.caRoot = m_options.caRoot;
            request.keySpec =
                crypto::keySpecOf(crypto::PublicKey::of(identity.identity.key)).value_or(crypto::KeySpec::Rsa3072);
            request.mailTimeout = m_options.mailTimeout;
            request.mailPollInterval = m_options.mailPollInterval;
            request.pollTimeout = m_options.pollTimeout;
            request.replaces = identity.id;
            return enroll(m_ctx, request);
        }();
        if (result.ok()) {
            if (auto recorded = m_acme.recordSuccess(identity.id); !recorded) {
                return recorded.error();
            }
            report.outcome = RenewalOutcome::Renewed;
            report.consecutiveFailures = 0;
            report.renewed = std::move(result.value());
            return {};
        }
        const EnrollmentFailure& failure = result.failure();
        if (failure.error.code == base::ErrorCode::Cancelled) {
            return failure.error; // the user's choice, not the CA's failure: nothing recorded
        }
        auto count = m_acme.recordFailure(identity.id, recordedStep(failure.step), failure.message());
        if (!count) {
            return count.error();
        }
        report.outcome = RenewalOutcome::Failed;
        report.failure = failure;
        report.consecutiveFailures = *count;
        return {};
    }

    const EnrollmentContext& m_ctx;
    const RenewalRunOptions& m_options;
    store::AcmeStore m_acme;
};

} // namespace

base::Result<std::vector<IdentityRenewal>> runRenewals(const EnrollmentContext& context,
                                                       const RenewalRunOptions& options) {
    if (context.db == nullptr || context.clock == nullptr || context.transport == nullptr ||
        context.sleeper == nullptr || !context.random || options.caRoot == nullptr || !options.mailboxFor) {
        return base::makeError(base::ErrorCode::InvalidArgument, "the renewal run needs every context member");
    }
    auto identities = store::IdentityStore(*context.db, *context.clock).list();
    if (!identities) {
        return identities.error();
    }
    auto records = store::AcmeStore(*context.db, *context.clock).renewals();
    if (!records) {
        return records.error();
    }
    std::map<std::int64_t, store::RenewalRecord> byId;
    for (auto& r : *records) {
        byId.emplace(r.identityId, std::move(r));
    }
    RenewalRun run(context, options);
    std::vector<IdentityRenewal> reports;
    for (const auto& identity : *identities) {
        const auto found = byId.find(identity.id);
        if (identity.state != store::IdentityState::Current || found == byId.end() || found->second.replacedBy) {
            continue;
        }
        IdentityRenewal report;
        report.identityId = identity.id;
        report.address = identity.address;
        if (auto done = run.one(identity, found->second, report); !done) {
            return done.error();
        }
        reports.push_back(std::move(report));
    }
    return reports;
}

} // namespace sealpost::engine
