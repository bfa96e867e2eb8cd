#include "engine/Enrollment.h"

#include "acme/AcmeClient.h"
#include "acme/EmailChallenge.h"
#include "crypto/AriCertId.h"
#include "crypto/CertificateChain.h"
#include "crypto/Csr.h"
#include "crypto/Identity.h"
#include "crypto/PublicKey.h"
#include "engine/ChallengeMailWatcher.h"
#include "engine/RenewalRun.h"
#include "mail/Envelope.h"
#include "store/IdentityStore.h"
#include "store/Transaction.h"
#include "store/TrustStore.h"

namespace sealpost::engine {
namespace {

using base::ErrorCode;

constexpr std::string_view kChallengeType = "email-reply-00";

EnrollmentFailure failure(EnrollStep step, const acme::AcmeError& e) {
    return {step, e.error, e.problem, e.retryAfter};
}

EnrollmentFailure failure(EnrollStep step, ErrorCode code, std::string detail) {
    return {step, base::Error{code, std::move(detail)}, std::nullopt, std::nullopt};
}

EnrollmentFailure failure(EnrollStep step, base::Error e) {
    return {step, std::move(e), std::nullopt, std::nullopt};
}

// A refusal the CA put into an object (order or challenge error) rather than an HTTP answer.
EnrollmentFailure refused(EnrollStep step, const std::optional<acme::AcmeProblem>& problem, std::string what) {
    EnrollmentFailure f = failure(step, ErrorCode::PermanentFailure, std::move(what));
    f.problem = problem;
    return f;
}

// Enrolled while it is being filled in (the certificate comes late).
struct Draft {
    std::int64_t identityId = 0;
    std::optional<crypto::Certificate> certificate;
    std::vector<crypto::Certificate> chain;
    std::string directoryUrl;
    std::string ariCertId;
    bool caHasAri = false;
    std::optional<base::TimePoint> renewAt;
    bool accountCreated = false;
    bool rootAdded = false;
    bool replacedOrder = false;
    std::vector<std::string> skippedMails;
    std::string cleanupError;

    Enrolled finish() && {
        return Enrolled{identityId,
                        std::move(*certificate),
                        std::move(chain),
                        std::move(directoryUrl),
                        std::move(ariCertId),
                        caHasAri,
                        renewAt,
                        accountCreated,
                        rootAdded,
                        replacedOrder,
                        std::move(skippedMails),
                        std::move(cleanupError)};
    }
};

class Enrollment {
public:
    Enrollment(const EnrollmentContext& context, const EnrollmentRequest& request)
        : m_ctx(context), m_req(request), m_acmeStore(*context.db, *context.clock), m_watcher(*request.mailbox) {}

    EnrollmentResult run() {
        if (auto f = account()) {
            return *f;
        }
        if (auto f = order()) {
            return *f;
        }
        if (m_authorization.status != acme::AuthorizationStatus::Valid) {
            if (auto f = answerChallenge()) {
                return *f;
            }
        }
        if (auto f = finalizeAndDownload()) {
            return *f;
        }
        if (auto f = checkLeaf()) {
            return *f;
        }
        if (auto f = store()) {
            return *f;
        }
        cleanup();
        return std::move(m_result).finish();
    }

private:
    void report(EnrollStep step, std::string detail) {
        m_step = step;
        if (m_ctx.onProgress) {
            m_ctx.onProgress({step, std::move(detail)});
        }
    }

    acme::AcmeClientConfig clientConfig() {
        acme::AcmeClientConfig config;
        config.directoryUrl = m_req.directoryUrl;
        config.transport = m_ctx.transport;
        config.clock = m_ctx.clock;
        config.sleeper = m_ctx.sleeper;
        config.stop = m_ctx.stop;
        config.onProgress = [this](const acme::AcmeProgress& p) {
            if (p.kind == acme::AcmeProgress::Kind::Polled) {
                report(m_step, p.url + " " + p.status);
            } else if (p.kind == acme::AcmeProgress::Kind::WaitingToRetry) {
                report(m_step, "the CA asked to wait " + std::to_string(p.nextDelay.count()) + " ms");
            }
        };
        return config;
    }

    std::optional<EnrollmentFailure> account() {
        report(EnrollStep::Account, "looking for the account of " + m_req.address + " at " + m_req.directoryUrl);
        auto stored = m_acmeStore.findAccount(m_req.directoryUrl, m_req.address);
        if (!stored) {
            return failure(EnrollStep::Account, stored.error());
        }
        if (*stored) {
            m_client.emplace(clientConfig(), (*stored)->key);
            auto existing = m_client->newAccount({{}, false, true});
            if (existing) {
                report(EnrollStep::Account, "using account " + m_client->accountUrl());
                return std::nullopt;
            }
            if (!existing.error().isProblem("accountDoesNotExist")) {
                return failure(EnrollStep::Account, existing.error());
            }
            report(EnrollStep::Account, "the CA no longer knows the stored account; registering a new one");
            if (auto removed = m_acmeStore.removeAccount((*stored)->id); !removed) {
                return failure(EnrollStep::Account, removed.error());
            }
        }
        auto key = crypto::generateKey(crypto::KeySpec::P256);
        if (!key) {
            return failure(EnrollStep::Account, key.error());
        }
        m_client.emplace(clientConfig(), *key);
        auto created = m_client->newAccount({{"mailto:" + m_req.address}, true, false});
        if (!created) {
            return failure(EnrollStep::Account, created.error());
        }
        if (auto added = m_acmeStore.addAccount({m_req.directoryUrl, m_req.address, created->url, *key}); !added) {
            return failure(EnrollStep::Account, added.error());
        }
        m_result.accountCreated = true;
        report(EnrollStep::Account, "registered account " + created->url);
        return std::nullopt;
    }

    // The CertID the order replaces, when the CA has ARI and this is a renewal.
    std::optional<EnrollmentFailure> replacedCertId(std::string& certId) {
        if (!m_req.replaces || !m_result.caHasAri) {
            return std::nullopt;
        }
        auto record = m_acmeStore.findRenewal(*m_req.replaces);
        if (!record) {
            return failure(EnrollStep::Order, record.error());
        }
        if (*record && (*record)->ariCertId) {
            certId = *(*record)->ariCertId;
        }
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> order() {
        report(EnrollStep::Order, "ordering a certificate for " + m_req.address);
        auto directory = m_client->directory();
        if (!directory) {
            return failure(EnrollStep::Order, directory.error());
        }
        m_result.directoryUrl = m_req.directoryUrl;
        m_result.caHasAri = !directory->renewalInfo.empty();
        std::string replaces;
        if (auto f = replacedCertId(replaces)) {
            return f;
        }
        // Mails already in the INBOX cannot be this order's challenge: the CA sends it at newOrder.
        if (auto ignored = m_watcher.ignoreExisting(); !ignored) {
            return failure(EnrollStep::WaitForMail, ignored.error());
        }

        acme::NewOrderRequest request{{{"email", m_req.address}}, replaces};
        auto placed = m_client->newOrder(request);
        if (!placed && !replaces.empty() && placed.error().isProblem("alreadyReplaced")) {
            report(EnrollStep::Order, "the CA says the certificate was replaced already; ordering without replaces");
            request.replaces.clear();
            placed = m_client->newOrder(request);
        }
        if (!placed) {
            return failure(EnrollStep::Order, placed.error());
        }
        m_order = std::move(*placed);
        m_result.replacedOrder = !request.replaces.empty();
        if (m_order.authorizations.size() != 1) {
            return failure(EnrollStep::Order, ErrorCode::ProtocolError,
                           "the order has " + std::to_string(m_order.authorizations.size()) +
                               " authorizations, expected 1");
        }
        auto authz = m_client->fetchAuthorization(m_order.authorizations.front());
        if (!authz) {
            return failure(EnrollStep::Order, authz.error());
        }
        m_authorization = std::move(*authz);
        report(EnrollStep::Order, "order " + m_order.url + ", authorization " +
                                      std::string(acme::authorizationStatusName(m_authorization.status)));
        if (m_authorization.status == acme::AuthorizationStatus::Valid) {
            return std::nullopt;
        }
        if (m_authorization.status != acme::AuthorizationStatus::Pending) {
            return failure(EnrollStep::Order, ErrorCode::PermanentFailure,
                           "the authorization is " +
                               std::string(acme::authorizationStatusName(m_authorization.status)));
        }
        const acme::Challenge* challenge = m_authorization.challenge(kChallengeType);
        if (challenge == nullptr || challenge->from.empty() || !acme::isTokenPart(challenge->token)) {
            return failure(EnrollStep::Order, ErrorCode::Unsupported,
                           "the CA offers no usable email-reply-00 challenge for " + m_req.address);
        }
        m_challenge = *challenge;
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> waitForMail() {
        report(EnrollStep::WaitForMail, "waiting for the challenge mail from " + m_challenge.from);
        ChallengeWatch watch;
        watch.caRoot = m_req.caRoot;
        watch.from = m_challenge.from;
        watch.address = m_req.address;
        watch.clock = m_ctx.clock;
        watch.sleeper = m_ctx.sleeper;
        watch.stop = m_ctx.stop;
        watch.timeout = m_req.mailTimeout;
        watch.interval = m_req.mailPollInterval;
        watch.onSkipped = [this](std::uint64_t uid, const std::string& why) {
            std::string line = "uid " + std::to_string(uid) + ": " + why;
            report(EnrollStep::WaitForMail, "skipped " + line);
            m_result.skippedMails.push_back(std::move(line));
        };
        auto found = m_watcher.wait(watch);
        if (!found) {
            return failure(EnrollStep::WaitForMail, found.error());
        }
        m_found = std::move(*found);
        report(EnrollStep::WaitForMail, "found the challenge mail (uid " + std::to_string(m_found.uid) + ")");
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> reply() {
        report(EnrollStep::Reply, "replying to " + m_challenge.from);
        auto response = acme::challengeResponse(m_found.tokenPart1, m_challenge.token,
                                                crypto::PublicKey::of(m_client->accountKey()));
        if (!response) {
            return failure(EnrollStep::Reply, response.error());
        }
        auto mail = acme::buildReplyMail({m_req.address, m_challenge.from, m_found.tokenPart1, m_found.messageId,
                                          *response, m_ctx.clock->now(), ""});
        if (!mail) {
            return failure(EnrollStep::Reply, mail.error());
        }
        auto prepared = mail::prepareForSubmission(std::move(*mail));
        if (!prepared) {
            return failure(EnrollStep::Reply, prepared.error());
        }
        // Exactly once: whatever happens next, this challenge mail is not answered again.
        if (auto sent = m_req.mailbox->send(m_req.address, m_challenge.from, prepared->raw); !sent) {
            return failure(EnrollStep::Reply, sent.error());
        }
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> answerChallenge() {
        if (auto f = waitForMail()) {
            return f;
        }
        if (auto f = reply()) {
            return f;
        }
        report(EnrollStep::Validate, "asking the CA to validate " + m_challenge.url);
        if (auto responded = m_client->respondToChallenge(m_challenge.url); !responded) {
            return failure(EnrollStep::Validate, responded.error());
        }
        // The CA validates when our reply reaches its mailbox, seconds after we sent it: look often
        // (every 2 s at most) rather than backing off to half a minute.
        auto authz = m_client->pollAuthorization(
            m_authorization.url, {m_req.pollTimeout, std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)});
        if (!authz) {
            return failure(EnrollStep::Validate, authz.error());
        }
        if (authz->status != acme::AuthorizationStatus::Valid) {
            const acme::Challenge* c = authz->challenge(kChallengeType);
            return refused(EnrollStep::Validate, c != nullptr ? c->error : std::nullopt,
                           "the authorization is " + std::string(acme::authorizationStatusName(authz->status)));
        }
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> finalizeAndDownload() {
        report(EnrollStep::Finalize, "generating a " + std::string(crypto::keySpecName(m_req.keySpec)) + " key");
        auto key = crypto::generateKey(m_req.keySpec);
        if (!key) {
            return failure(EnrollStep::Finalize, key.error());
        }
        m_key = *key;
        auto csr = crypto::makeCsr(*m_key, {{m_req.address}, {}});
        if (!csr) {
            return failure(EnrollStep::Finalize, csr.error());
        }
        auto ready = m_client->pollOrder(m_order.url, {m_req.pollTimeout});
        if (!ready) {
            return failure(EnrollStep::Finalize, ready.error());
        }
        if (ready->status != acme::OrderStatus::Ready && ready->status != acme::OrderStatus::Valid) {
            return refused(EnrollStep::Finalize, ready->error,
                           "the order is " + std::string(acme::orderStatusName(ready->status)));
        }
        report(EnrollStep::Finalize, "sending the CSR");
        auto finalized = m_client->finalize(*ready, *csr);
        if (!finalized) {
            return failure(EnrollStep::Finalize, finalized.error());
        }
        acme::Order done = std::move(*finalized);
        if (done.status != acme::OrderStatus::Valid) {
            auto polled = m_client->pollOrder(m_order.url, {m_req.pollTimeout});
            if (!polled) {
                return failure(EnrollStep::Finalize, polled.error());
            }
            done = std::move(*polled);
        }
        if (done.status != acme::OrderStatus::Valid || done.certificate.empty()) {
            return refused(EnrollStep::Finalize, done.error,
                           "the order is " + std::string(acme::orderStatusName(done.status)));
        }
        report(EnrollStep::Download, done.certificate);
        auto chain = m_client->downloadCertificate(done.certificate);
        if (!chain) {
            return failure(EnrollStep::Download, chain.error());
        }
        auto certs = crypto::Certificate::parseAll(base::asBytes(chain->pem));
        if (!certs || certs->empty()) {
            return failure(EnrollStep::Download, ErrorCode::ProtocolError,
                           "the CA's answer is not a PEM certificate chain");
        }
        m_result.certificate.emplace(certs->front());
        m_result.chain.assign(certs->begin() + 1, certs->end());
        return std::nullopt;
    }

    std::optional<EnrollmentFailure> checkLeaf() {
        report(EnrollStep::Check, (*m_result.certificate).subject());
        if (auto matches = crypto::checkKeyMatchesCertificate(*m_key, (*m_result.certificate)); !matches) {
            return failure(EnrollStep::Check, ErrorCode::ProtocolError, "the certificate is not for the CSR's key");
        }
        if (!(*m_result.certificate).hasEmailAddress(m_req.address)) {
            return failure(EnrollStep::Check, ErrorCode::ProtocolError,
                           "the certificate does not name " + m_req.address);
        }
        const std::span<const crypto::Certificate> anchors(m_req.caRoot, 1);
        const crypto::ChainCheck chain = crypto::checkChain((*m_result.certificate), m_result.chain, anchors,
                                                            m_ctx.clock->now(), crypto::ChainPurpose::SmimeSigning);
        if (!chain.valid) {
            return failure(EnrollStep::Check, ErrorCode::UntrustedServer,
                           "the certificate does not chain to the CA root: " + chain.detail);
        }
        return std::nullopt;
    }

    // The renewal record of the new certificate, but for its identity id.
    store::RenewalRecord renewalRecord() {
        store::RenewalRecord record;
        record.directoryUrl = m_req.directoryUrl;
        record.caHasAri = m_result.caHasAri;
        record.lastSuccessAt = m_ctx.clock->now();
        if (auto certId = crypto::ariCertId((*m_result.certificate))) {
            m_result.ariCertId = *certId;
            record.ariCertId = *certId;
        }
        if (record.caHasAri && record.ariCertId) {
            // A first ARI answer now, so the schedule starts from the CA's window; without one
            // the next renewal run asks.
            auto info = m_client->renewalInfo(*record.ariCertId);
            if (info) {
                applyAriAnswer(record, *info, m_ctx.clock->now(), m_ctx.random);
            } else {
                report(EnrollStep::Store, "renewal info not available yet: " + info.error().detail());
            }
        }
        m_result.renewAt = record.renewAt
                               ? record.renewAt
                               : std::optional(acme::renewalTimeWithoutAri((*m_result.certificate).notBefore(),
                                                                           (*m_result.certificate).notAfter()));
        return record;
    }

    std::optional<EnrollmentFailure> store() {
        store::RenewalRecord record = renewalRecord();
        report(EnrollStep::Store, "storing the identity");
        auto transaction = store::Transaction::begin(*m_ctx.db);
        if (!transaction) {
            return failure(EnrollStep::Store, transaction.error());
        }
        auto id = store::IdentityStore(*m_ctx.db, *m_ctx.clock)
                      .add({*m_key, (*m_result.certificate), m_result.chain}, store::IdentityRole::Both);
        if (!id) {
            return failure(EnrollStep::Store, id.error());
        }
        m_result.identityId = *id;
        auto added = store::TrustStore(*m_ctx.db).add(*m_req.caRoot);
        if (!added) {
            return failure(EnrollStep::Store, added.error());
        }
        m_result.rootAdded = *added;
        record.identityId = *id;
        if (auto saved = m_acmeStore.saveRenewal(record); !saved) {
            return failure(EnrollStep::Store, saved.error());
        }
        if (m_req.replaces) {
            // The old generation's record (an imported identity has none) hands over in the same
            // transaction, so no renewal run sees both as due.
            auto marked = m_acmeStore.markReplaced(*m_req.replaces, *id);
            if (!marked && marked.error().code != ErrorCode::NotFound) {
                return failure(EnrollStep::Store, marked.error());
            }
        }
        if (auto committed = transaction->commit(); !committed) {
            return failure(EnrollStep::Store, committed.error());
        }
        return std::nullopt;
    }

    void cleanup() {
        if (m_found.uid == 0) {
            return;
        }
        report(EnrollStep::Cleanup, "deleting the challenge mail (uid " + std::to_string(m_found.uid) + ")");
        if (auto removed = m_req.mailbox->remove(m_found.uid); !removed) {
            m_result.cleanupError = removed.error().detail;
        }
    }

    const EnrollmentContext& m_ctx;
    const EnrollmentRequest& m_req;
    store::AcmeStore m_acmeStore;
    EnrollStep m_step = EnrollStep::Account;
    std::optional<acme::AcmeClient> m_client;
    acme::Order m_order;
    acme::Authorization m_authorization;
    acme::Challenge m_challenge;
    ChallengeMailWatcher m_watcher;
    ChallengeMail m_found;
    std::optional<crypto::PrivateKey> m_key;
    Draft m_result;
};

} // namespace

std::string_view enrollStepName(EnrollStep step) noexcept {
    switch (step) {
    case EnrollStep::Account: return "account";
    case EnrollStep::Order: return "order";
    case EnrollStep::WaitForMail: return "waiting for the challenge mail";
    case EnrollStep::Reply: return "reply";
    case EnrollStep::Validate: return "validation";
    case EnrollStep::Finalize: return "finalize";
    case EnrollStep::Download: return "download";
    case EnrollStep::Check: return "checking the certificate";
    case EnrollStep::Store: return "store";
    case EnrollStep::Cleanup: return "cleanup";
    case EnrollStep::RenewalInfo: return "renewal info";
    }
    return "unknown";
}

store::AcmeStep recordedStep(EnrollStep step) noexcept {
    switch (step) {
    case EnrollStep::Account: return store::AcmeStep::Account;
    case EnrollStep::Order: return store::AcmeStep::Order;
    case EnrollStep::WaitForMail:
    case EnrollStep::Reply:
    case EnrollStep::Validate: return store::AcmeStep::Challenge;
    case EnrollStep::Finalize: return store::AcmeStep::Finalize;
    case EnrollStep::Download:
    case EnrollStep::Check: return store::AcmeStep::Download;
    case EnrollStep::Store:
    case EnrollStep::Cleanup: return store::AcmeStep::Store;
    case EnrollStep::RenewalInfo: return store::AcmeStep::Ari;
    }
    return store::AcmeStep::Order;
}

std::string EnrollmentFailure::message() const {
    std::string text(enrollStepName(step));
    text += ": ";
    if (problem) {
        const std::string_view type = problem->acmeType();
        text += type.empty() ? problem->type : std::string(type);
        text += ": ";
        text += problem->detail.empty() ? error.detail : problem->detail;
    } else {
        text += error.detail;
    }
    return text;
}

EnrollmentResult enroll(const EnrollmentContext& context, const EnrollmentRequest& request) {
    if (context.db == nullptr || context.transport == nullptr || context.clock == nullptr ||
        context.sleeper == nullptr || !context.random || request.mailbox == nullptr || request.caRoot == nullptr ||
        request.directoryUrl.empty() || request.address.empty()) {
        return failure(EnrollStep::Account, ErrorCode::InvalidArgument, "enrollment needs every context member");
    }
    return Enrollment(context, request).run();
}

} // namespace sealpost::engine
