// Enrollment and the renewal run against the real ACME server of sealpost-ca, in process: every
// HTTP request goes to ca::acme::AcmeServer (SQLite store in a temporary directory) in front of a
// real CA from ca::Authority::init. The challenge mails it sends are signed with
// ca::mail::buildSignedChallenge and dropped into a fake INBOX; the reply "sent" from there is
// parsed with acme::parseReply and handed to the server, as the CA's mailbox reader would.
#include "engine/Enrollment.h"

#include "../acme/AcmeTestFakes.h"
#include "acme/EmailChallenge.h"
#include "base/ByteSink.h"
#include "ca/acme/AcmeServer.h"
#include "ca/acme/store/SqliteAcmeStore.h"
#include "ca/issue/Authority.h"
#include "ca/mail/SmtpChallengeMailer.h"
#include "crypto/AriCertId.h"
#include "crypto/CertificateChain.h"
#include "engine/ProfileMaterial.h"
#include "engine/RenewalRun.h"
#include "smime/MessageOpener.h"
#include "smime/MessageProtector.h"
#include "store/IdentityStore.h"
#include "store/TrustStore.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <unistd.h>

namespace sealpost::engine {
namespace {

using namespace std::chrono_literals;
using acme::test::ManualClock;
using acme::test::RecordingSleeper;

constexpr std::string_view kBase = "https://ca.example";
constexpr std::string_view kCaFrom = "acme@ca.example";
const std::string kDirectory = "https://ca.example/directory";
const std::string kAlice = "alice@example.org";

// 2026-06-01T00:00:00Z.
base::TimePoint testStart() {
    return std::chrono::system_clock::from_time_t(1780272000);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// The user's INBOX and SMTP server. Sending a reply delivers it to the CA's reply sink.
class FakeMailbox final : public EnrollmentMailbox {
public:
    void deliver(std::string raw) { inbox[m_nextUid++] = std::move(raw); }

    base::Result<std::vector<std::uint64_t>> findBySubject(std::string_view part) override {
        std::vector<std::uint64_t> uids;
        for (const auto& [uid, raw] : inbox) {
            const std::string header = lower(raw.substr(0, raw.find("\r\n\r\n")));
            const auto at = header.find("\nsubject:");
            if (at != std::string::npos &&
                header.substr(at, header.find('\n', at + 1) - at).find(lower(std::string(part))) != std::string::npos) {
                uids.push_back(uid);
            }
        }
        return uids;
    }
    base::Result<std::string> fetch(std::uint64_t uid) override {
        const auto it = inbox.find(uid);
        if (it == inbox.end()) {
            return base::makeError(base::ErrorCode::NotFound, "no uid " + std::to_string(uid));
        }
        return it->second;
    }
    base::Result<void> remove(std::uint64_t uid) override {
        if (inbox.erase(uid) == 0) {
            return base::makeError(base::ErrorCode::NotFound, "no uid " + std::to_string(uid));
        }
        return {};
    }
    base::Result<void> send(std::string_view from, std::string_view to, std::string_view message) override {
        sent.emplace_back(message);
        EXPECT_EQ(to, kCaFrom);
        auto parsed = acme::parseReply(message);
        if (!parsed) {
            return parsed.error();
        }
        EXPECT_EQ(parsed->fromAddress, from);
        ca::ChallengeReply reply{parsed->tokenPart1, parsed->fromAddress, parsed->response, false, parsed->messageId};
        if (tamper) {
            reply.response[0] = reply.response[0] == 'A' ? 'B' : 'A';
        }
        auto verdict = sink->acceptReply(reply);
        if (!verdict) {
            return verdict.error();
        }
        verdicts.push_back(*verdict);
        return {};
    }

    std::map<std::uint64_t, std::string> inbox;
    std::vector<std::string> sent;
    std::vector<ca::ReplyVerdict> verdicts;
    ca::ReplySink* sink = nullptr;
    bool tamper = false; // the reply's response is wrong

private:
    std::uint64_t m_nextUid = 1;
};

// The CA's mail side: signs each challenge with the CA's mail signer and delivers it.
class TestMailer final : public ca::ChallengeMailer {
public:
    TestMailer(FakeMailbox& mailbox, const crypto::Identity& signer) : m_mailbox(mailbox), m_signer(signer) {}
    base::Result<void> send(const ca::OutgoingChallenge& challenge) override {
        if (!deliver) {
            return {};
        }
        if (forger != nullptr) { // the same mail, signed by someone else's CA
            auto forged = ca::mail::buildSignedChallenge(challenge, kCaFrom, *forger);
            if (!forged) {
                return forged.error();
            }
            m_mailbox.deliver(std::move(*forged));
        }
        auto mail = ca::mail::buildSignedChallenge(challenge, kCaFrom, m_signer);
        if (!mail) {
            return mail.error();
        }
        m_mailbox.deliver(std::move(*mail));
        return {};
    }
    bool deliver = true;
    const crypto::Identity* forger = nullptr;

private:
    FakeMailbox& m_mailbox;
    const crypto::Identity& m_signer;
};

// HTTP to the in-process server.
class InProcessTransport final : public acme::HttpTransport {
public:
    base::Result<acme::HttpResponse> send(const acme::HttpRequest& request, std::stop_token stop) override {
        if (stop.stop_requested()) {
            return base::makeError(base::ErrorCode::Cancelled, "cancelled");
        }
        if (!request.url.starts_with(kBase)) {
            return base::makeError(base::ErrorCode::Unreachable, "not the test CA: " + request.url);
        }
        const std::string target = request.url.substr(kBase.size());
        if (failRenewalInfo && target.starts_with("/acme/renewal-info/")) {
            return base::makeError(base::ErrorCode::Unreachable, "connection refused");
        }
        std::optional<std::string> contentType;
        for (const auto& [name, value] : request.headers) {
            if (lower(name) == "content-type") {
                contentType = value;
            }
        }
        const std::string_view method = request.method == acme::HttpMethod::Get    ? "GET"
                                        : request.method == acme::HttpMethod::Head ? "HEAD"
                                                                                   : "POST";
        ++requests;
        const ca::acme::AcmeResponse r =
            server->handle({method, target, contentType ? std::optional<std::string_view>(*contentType) : std::nullopt,
                            request.body, false});
        return acme::HttpResponse{r.status, r.headers, r.body};
    }
    ca::acme::AcmeServer* server = nullptr;
    int requests = 0;
    bool failRenewalInfo = false;
};

class EnrollmentTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        m_dir = std::filesystem::temp_directory_path() /
                ("sealpost-enroll-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
        ca::AuthorityInitOptions options;
        options.mailFrom = std::string(kCaFrom);
        options.now = clock.now();
        auto created = ca::Authority::init(m_dir / "ca", options, "test passphrase");
        ASSERT_TRUE(created) << created.error().detail;
        authority.emplace(std::move(*created));
        root = authority->root();
        auto caStore = ca::acme::SqliteAcmeStore::open(m_dir / "acme.sqlite");
        ASSERT_TRUE(caStore) << caStore.error().detail;
        m_caStore = std::move(*caStore);
        mailer = std::make_unique<TestMailer>(mailbox, authority->mailSigner());
        config.externalUrl = std::string(kBase);
        config.challengeFrom = std::string(kCaFrom);
        restartServer();
        auto db =
            store::Database::open(m_dir / "profile.db", base::SecureString("pass"), store::OpenMode::CreateIfMissing);
        ASSERT_TRUE(db) << db.error().detail;
        m_db.emplace(std::move(*db));
    }
    void TearDown() override {
        server.reset();
        m_caStore.reset();
        m_db.reset();
        std::filesystem::remove_all(m_dir);
    }

    void restartServer() {
        server = std::make_unique<ca::acme::AcmeServer>(config, *m_caStore, *authority->issuer(), *mailer, clock);
        transport.server = server.get();
        mailbox.sink = server.get();
    }

    EnrollmentContext context() {
        return {&*m_db,
                &transport,
                &clock,
                &sleeper,
                [] { return 0.5; },
                stop.get_token(),
                [this](const EnrollmentProgress& p) { progress.push_back(p); }};
    }
    EnrollmentRequest request() {
        EnrollmentRequest r;
        r.directoryUrl = kDirectory;
        r.address = kAlice;
        r.mailbox = &mailbox;
        r.caRoot = &*root;
        r.keySpec = crypto::KeySpec::P256;
        return r;
    }
    RenewalRunOptions renewalOptions() {
        RenewalRunOptions o;
        o.caRoot = &*root;
        o.mailboxFor = [this](std::string_view address) -> base::Result<std::unique_ptr<EnrollmentMailbox>> {
            EXPECT_EQ(address, kAlice);
            return std::unique_ptr<EnrollmentMailbox>(std::make_unique<Forwarder>(mailbox));
        };
        return o;
    }
    // The renewal run owns its mailbox; this one hands everything to the fixture's.
    class Forwarder final : public EnrollmentMailbox {
    public:
        explicit Forwarder(FakeMailbox& m) : m_m(m) {}
        base::Result<std::vector<std::uint64_t>> findBySubject(std::string_view p) override {
            return m_m.findBySubject(p);
        }
        base::Result<std::string> fetch(std::uint64_t uid) override { return m_m.fetch(uid); }
        base::Result<void> remove(std::uint64_t uid) override { return m_m.remove(uid); }
        base::Result<void> send(std::string_view f, std::string_view t, std::string_view m) override {
            return m_m.send(f, t, m);
        }

    private:
        FakeMailbox& m_m;
    };

    std::optional<Enrolled> enrollAlice() {
        EnrollmentResult result = enroll(context(), request());
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.failure().message());
        return result.ok() ? std::optional(result.value()) : std::nullopt;
    }
    store::RenewalRecord recordOf(std::int64_t id) {
        auto r = store::AcmeStore(*m_db, clock).findRenewal(id);
        EXPECT_TRUE(r && *r);
        return r && *r ? **r : store::RenewalRecord{};
    }
    std::vector<store::StoredIdentity> identities() {
        auto list = store::IdentityStore(*m_db, clock).list();
        EXPECT_TRUE(list);
        return list ? *list : std::vector<store::StoredIdentity>{};
    }
    [[nodiscard]] bool sawStep(EnrollStep step) const {
        return std::any_of(progress.begin(), progress.end(), [&](const auto& p) { return p.step == step; });
    }

    ManualClock clock{testStart()};
    RecordingSleeper sleeper{clock};
    std::stop_source stop;
    std::optional<ca::Authority> authority;
    std::optional<crypto::Certificate> root;
    ca::acme::AcmeServerConfig config;
    FakeMailbox mailbox;
    std::unique_ptr<TestMailer> mailer;
    InProcessTransport transport;
    std::unique_ptr<ca::acme::AcmeServer> server;
    std::vector<EnrollmentProgress> progress;

    store::Database& db() { return *m_db; }

private:
    std::filesystem::path m_dir;
    std::unique_ptr<ca::acme::SqliteAcmeStore> m_caStore;
    std::optional<store::Database> m_db;
};

TEST_F(EnrollmentTest, EnrollsStoresTheIdentityAndTheRenewalRecord) {
    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    ASSERT_NE(enrolled.identityId, 0);

    const auto list = identities();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0].id, enrolled.identityId);
    EXPECT_EQ(list[0].state, store::IdentityState::Current);
    EXPECT_EQ(list[0].role, store::IdentityRole::Both);
    EXPECT_TRUE(list[0].identity.certificate.hasEmailAddress(kAlice));
    const crypto::Certificate anchors[] = {*root};
    EXPECT_TRUE(crypto::checkChain(list[0].identity.certificate, list[0].identity.chain, anchors, clock.now(),
                                   crypto::ChainPurpose::SmimeSigning)
                    .valid);
    auto trusted = store::TrustStore(db()).list();
    ASSERT_TRUE(trusted);
    ASSERT_EQ(trusted->size(), 1U);
    EXPECT_EQ((*trusted)[0], *root);
    EXPECT_TRUE(enrolled.rootAdded);
    EXPECT_TRUE(enrolled.accountCreated);
    auto account = store::AcmeStore(db(), clock).findAccount(kDirectory, kAlice);
    ASSERT_TRUE(account && *account);

    const store::RenewalRecord record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.directoryUrl, kDirectory);
    EXPECT_TRUE(record.caHasAri);
    EXPECT_EQ(record.ariCertId, *crypto::ariCertId(list[0].identity.certificate));
    ASSERT_TRUE(record.ariWindow); // the first ARI answer was taken at once
    ASSERT_TRUE(record.renewAt);
    EXPECT_GE(*record.renewAt, record.ariWindow->start);
    EXPECT_LT(*record.renewAt, record.ariWindow->end);
    EXPECT_EQ(enrolled.renewAt, record.renewAt);
    EXPECT_EQ(record.nextCheck, clock.now() + 6h);

    // One reply, accepted; the challenge mail is gone from the INBOX.
    EXPECT_EQ(mailbox.sent.size(), 1U);
    EXPECT_EQ(mailbox.verdicts, std::vector{ca::ReplyVerdict::Accepted});
    EXPECT_TRUE(mailbox.inbox.empty());
    EXPECT_TRUE(enrolled.skippedMails.empty());
    EXPECT_TRUE(sawStep(EnrollStep::WaitForMail));
    EXPECT_TRUE(sawStep(EnrollStep::Cleanup));
}

TEST_F(EnrollmentTest, SkipsAForgedChallengeMailAndAnswersTheRealOne) {
    ca::AuthorityInitOptions options;
    options.mailFrom = std::string(kCaFrom);
    options.now = clock.now();
    auto other = ca::Authority::init(std::filesystem::temp_directory_path() /
                                         ("sealpost-enroll-forger-" + std::to_string(::getpid())),
                                     options, "other passphrase");
    ASSERT_TRUE(other) << other.error().detail;
    mailer->forger = &other->mailSigner();

    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    ASSERT_NE(enrolled.identityId, 0);
    ASSERT_EQ(enrolled.skippedMails.size(), 1U);
    EXPECT_NE(enrolled.skippedMails[0].find(acme::challengeRuleName(acme::ChallengeRule::SignatureValid)),
              std::string::npos)
        << enrolled.skippedMails[0];
    EXPECT_EQ(mailbox.sent.size(), 1U);
    EXPECT_EQ(mailbox.verdicts, std::vector{ca::ReplyVerdict::Accepted});
    EXPECT_EQ(mailbox.inbox.size(), 1U); // the forged one stays
    std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                ("sealpost-enroll-forger-" + std::to_string(::getpid())));
}

TEST_F(EnrollmentTest, AChallengeMailFromAnEarlierOrderIsNotAnswered) {
    // The first attempt is stopped once its challenge mail is in the INBOX: that mail stays.
    std::stop_source first;
    EnrollmentContext stopped = context();
    stopped.stop = first.get_token();
    stopped.onProgress = [&](const EnrollmentProgress& p) {
        if (p.step == EnrollStep::WaitForMail) {
            first.request_stop();
        }
    };
    const EnrollmentResult cancelled = enroll(stopped, request());
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.failure().error.code, base::ErrorCode::Cancelled);
    ASSERT_EQ(mailbox.inbox.size(), 1U);
    const std::string stale = mailbox.inbox.begin()->second;

    const auto enrolled = enrollAlice();
    ASSERT_TRUE(enrolled);
    EXPECT_TRUE(enrolled->skippedMails.empty()); // not even looked at
    EXPECT_EQ(mailbox.verdicts, std::vector{ca::ReplyVerdict::Accepted});
    ASSERT_EQ(mailbox.inbox.size(), 1U);
    EXPECT_EQ(mailbox.inbox.begin()->second, stale);
}

TEST_F(EnrollmentTest, NoChallengeMailTimesOutNamingTheStep) {
    mailer->deliver = false;
    EnrollmentRequest r = request();
    r.mailTimeout = 10min;
    const EnrollmentResult result = enroll(context(), r);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().step, EnrollStep::WaitForMail);
    EXPECT_EQ(result.failure().error.code, base::ErrorCode::TemporaryFailure);
    EXPECT_EQ(result.failure().message(), "waiting for the challenge mail: none arrived within 10 min");
    EXPECT_FALSE(result.failure().caRefused());
    // Polled every 2 s, for 10 minutes of the test clock.
    EXPECT_EQ(sleeper.durations.size(), 300U);
    EXPECT_TRUE(std::all_of(sleeper.durations.begin(), sleeper.durations.end(), [](auto d) { return d == 2s; }));
    EXPECT_TRUE(mailbox.sent.empty());
    EXPECT_TRUE(identities().empty());
}

TEST_F(EnrollmentTest, StopsWhenCancelled) {
    mailer->deliver = false;
    sleeper.onSleep = [this] { stop.request_stop(); };
    const EnrollmentResult result = enroll(context(), request());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().error.code, base::ErrorCode::Cancelled);
    EXPECT_EQ(result.failure().step, EnrollStep::WaitForMail);
    EXPECT_EQ(sleeper.durations.size(), 1U);
    EXPECT_TRUE(identities().empty());
}

TEST_F(EnrollmentTest, CancelledBeforeStartingSendsNothing) {
    stop.request_stop();
    const EnrollmentResult result = enroll(context(), request());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().error.code, base::ErrorCode::Cancelled);
    EXPECT_EQ(result.failure().step, EnrollStep::Account);
    EXPECT_EQ(transport.requests, 0);
}

TEST_F(EnrollmentTest, AWrongResponseSurfacesTheCasProblem) {
    mailbox.tamper = true;
    const EnrollmentResult result = enroll(context(), request());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().step, EnrollStep::Validate);
    ASSERT_TRUE(result.failure().caRefused());
    EXPECT_TRUE(result.failure().problem->is("incorrectResponse")) << result.failure().message();
    EXPECT_TRUE(result.failure().message().starts_with("validation: incorrectResponse: "))
        << result.failure().message();
    EXPECT_EQ(mailbox.verdicts, std::vector{ca::ReplyVerdict::IncorrectResponse});
    EXPECT_TRUE(identities().empty());
}

TEST_F(EnrollmentTest, ARateLimitedOrderSurfacesTheCasProblem) {
    config.newOrdersPerAddressPerHour = 1;
    restartServer();
    ASSERT_TRUE(enrollAlice());
    const EnrollmentResult result = enroll(context(), request());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().step, EnrollStep::Order);
    ASSERT_TRUE(result.failure().caRefused());
    EXPECT_TRUE(result.failure().message().starts_with("order: rateLimited: ")) << result.failure().message();
    EXPECT_TRUE(result.failure().retryAfter);
    EXPECT_TRUE(mailbox.inbox.empty());
    EXPECT_EQ(identities().size(), 1U);
}

TEST_F(EnrollmentTest, AStoredAccountTheCaForgotIsReplaced) {
    const auto firstResult = enrollAlice();
    ASSERT_TRUE(firstResult);
    const Enrolled& first = *firstResult;
    ASSERT_TRUE(first.accountCreated);
    auto before = store::AcmeStore(db(), clock).findAccount(kDirectory, kAlice);
    ASSERT_TRUE(before && *before);
    // A CA with an empty database: the stored key is unknown there.
    auto fresh = ca::acme::SqliteAcmeStore::open(std::filesystem::temp_directory_path() /
                                                 ("sealpost-enroll-fresh-" + std::to_string(::getpid()) + ".sqlite"));
    ASSERT_TRUE(fresh);
    server = std::make_unique<ca::acme::AcmeServer>(config, **fresh, *authority->issuer(), *mailer, clock);
    transport.server = server.get();
    mailbox.sink = server.get();

    const auto secondResult = enrollAlice();
    ASSERT_TRUE(secondResult);
    const Enrolled& second = *secondResult;
    EXPECT_TRUE(second.accountCreated);
    auto after = store::AcmeStore(db(), clock).findAccount(kDirectory, kAlice);
    ASSERT_TRUE(after && *after);
    EXPECT_FALSE((*after)->accountUrl.empty());
    EXPECT_FALSE(crypto::PublicKey::of((*after)->key).sameAs(crypto::PublicKey::of((*before)->key)));
    server.reset();
    fresh->reset();
    std::filesystem::remove(std::filesystem::temp_directory_path() /
                            ("sealpost-enroll-fresh-" + std::to_string(::getpid()) + ".sqlite"));
}

TEST_F(EnrollmentTest, AnOrderForAnAlreadyReplacedCertificateIsPlacedAgainWithoutReplaces) {
    const auto first = enrollAlice();
    ASSERT_TRUE(first);
    EnrollmentRequest renewal = request();
    renewal.replaces = first->identityId;
    const EnrollmentResult second = enroll(context(), renewal);
    ASSERT_TRUE(second.ok()) << second.failure().message();
    EXPECT_TRUE(second.value().replacedOrder);
    EXPECT_EQ(recordOf(first->identityId).replacedBy, second.value().identityId);

    // The CA has seen `replaces` for the first certificate: it answers alreadyReplaced.
    const EnrollmentResult third = enroll(context(), renewal);
    ASSERT_TRUE(third.ok()) << third.failure().message();
    EXPECT_FALSE(third.value().replacedOrder);
    EXPECT_TRUE(std::any_of(progress.begin(), progress.end(), [](const EnrollmentProgress& p) {
        return p.step == EnrollStep::Order && p.detail.find("replaced already") != std::string::npos;
    }));
}

// --- the renewal run -------------------------------------------------------------------------

TEST_F(EnrollmentTest, RenewalRunDoesNothingWhenNothingIsDue) {
    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    auto reports = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(reports) << reports.error().detail;
    ASSERT_EQ(reports->size(), 1U);
    EXPECT_EQ((*reports)[0].identityId, enrolled.identityId);
    EXPECT_EQ((*reports)[0].outcome, RenewalOutcome::Nothing);
    EXPECT_EQ((*reports)[0].decision.reason, acme::RenewalReason::WaitingForAriCheck);
    EXPECT_EQ(identities().size(), 1U);
}

TEST_F(EnrollmentTest, RenewalRunChecksAriWhenDueAndUpdatesTheRecord) {
    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    clock.advance(7h);
    auto reports = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(reports) << reports.error().detail;
    ASSERT_EQ(reports->size(), 1U);
    EXPECT_EQ((*reports)[0].outcome, RenewalOutcome::AriChecked);
    EXPECT_EQ((*reports)[0].decision.reason, acme::RenewalReason::WaitingForAriCheck);
    const store::RenewalRecord record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.ariCheckedAt, clock.now());
    EXPECT_EQ(record.nextCheck, clock.now() + 6h);
    EXPECT_EQ(record.renewAt, enrolled.renewAt); // the time chosen in the same window is kept
    EXPECT_EQ(identities().size(), 1U);
}

TEST_F(EnrollmentTest, RenewalRunReplacesTheIdentityAndTheOldKeyStillDecrypts) {
    const auto oldResult = enrollAlice();
    ASSERT_TRUE(oldResult);
    const Enrolled& old = *oldResult;
    ASSERT_TRUE(old.renewAt);
    // Mail encrypted to the first generation.
    std::string encrypted;
    base::StringSink sink(encrypted);
    smime::ProtectRequest protect;
    protect.encrypt = smime::EncryptStep{{old.certificate}, {}};
    protect.now = clock.now();
    ASSERT_TRUE(smime::protectMessage("From: bob@example.net\r\nTo: alice@example.org\r\nSubject: hi\r\n"
                                      "Content-Type: text/plain\r\n\r\nsecret\r\n",
                                      protect, sink));

    clock.advance(std::chrono::duration_cast<std::chrono::milliseconds>(*old.renewAt - clock.now()) + 1s);
    auto reports = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(reports) << reports.error().detail;
    ASSERT_EQ(reports->size(), 1U);
    const IdentityRenewal& report = (*reports)[0];
    ASSERT_EQ(report.outcome, RenewalOutcome::Renewed) << (report.failure ? report.failure->message() : "");
    EXPECT_EQ(report.decision.reason, acme::RenewalReason::AriWindowReached);
    ASSERT_TRUE(report.renewed);
    EXPECT_TRUE(report.renewed->replacedOrder);
    EXPECT_FALSE(report.renewed->accountCreated);
    EXPECT_NE(report.renewed->identityId, old.identityId);

    const store::RenewalRecord oldRecord = recordOf(old.identityId);
    EXPECT_EQ(oldRecord.replacedBy, report.renewed->identityId);
    EXPECT_EQ(oldRecord.lastSuccessAt, clock.now());
    const store::RenewalRecord newRecord = recordOf(report.renewed->identityId);
    EXPECT_FALSE(newRecord.replacedBy);

    std::map<std::int64_t, store::IdentityState> states;
    for (const auto& i : identities()) {
        states[i.id] = i.state;
    }
    EXPECT_EQ(states[old.identityId], store::IdentityState::Retired);
    EXPECT_EQ(states[report.renewed->identityId], store::IdentityState::Current);

    auto material = loadProfileMaterial(db(), SystemAnchors::Exclude);
    ASSERT_TRUE(material);
    smime::OpenOptions open;
    open.identities = material->identities;
    open.trustAnchors = material->trustAnchors;
    open.at = clock.now();
    auto opened = smime::openMessage(std::string_view(encrypted), open);
    ASSERT_TRUE(opened) << opened.error().detail;
    EXPECT_EQ(opened->report.encryption, smime::EncryptionState::Decrypted);

    // The replaced generation is out of the run; the new one waits.
    auto again = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(again);
    ASSERT_EQ(again->size(), 1U);
    EXPECT_EQ((*again)[0].identityId, report.renewed->identityId);
    EXPECT_EQ((*again)[0].outcome, RenewalOutcome::Nothing);
}

TEST_F(EnrollmentTest, RenewalRunRecordsAFailedAriCheckAndBacksOffTheNextOne) {
    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    clock.advance(7h);
    transport.failRenewalInfo = true;
    auto reports = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(reports) << reports.error().detail;
    ASSERT_EQ(reports->size(), 1U);
    EXPECT_EQ((*reports)[0].outcome, RenewalOutcome::AriFailed);
    ASSERT_TRUE((*reports)[0].failure);
    EXPECT_EQ((*reports)[0].failure->message(), "renewal info: connection refused");
    store::RenewalRecord record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.consecutiveFailures, 1);
    ASSERT_TRUE(record.lastFailure);
    EXPECT_EQ(record.lastFailure->step, store::AcmeStep::Ari);
    EXPECT_EQ(record.nextCheck, clock.now() + 1min);

    transport.failRenewalInfo = false;
    clock.advance(2min);
    reports = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(reports);
    EXPECT_EQ((*reports)[0].outcome, RenewalOutcome::AriChecked);
    record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.consecutiveFailures, 0); // a good check ends a streak of failed checks
    EXPECT_EQ(record.nextCheck, clock.now() + 6h);
}

TEST_F(EnrollmentTest, RenewalFailureIsRecordedAndBacksOff) {
    const auto enrolledResult = enrollAlice();
    ASSERT_TRUE(enrolledResult);
    const Enrolled& enrolled = *enrolledResult;
    mailer->deliver = false;
    RenewalRunOptions options = renewalOptions();
    options.force = true;
    options.mailTimeout = 10s;
    auto reports = runRenewals(context(), options);
    ASSERT_TRUE(reports) << reports.error().detail;
    ASSERT_EQ(reports->size(), 1U);
    EXPECT_EQ((*reports)[0].outcome, RenewalOutcome::Failed);
    ASSERT_TRUE((*reports)[0].failure);
    EXPECT_EQ((*reports)[0].failure->step, EnrollStep::WaitForMail);
    EXPECT_EQ((*reports)[0].consecutiveFailures, 1);
    store::RenewalRecord record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.consecutiveFailures, 1);
    ASSERT_TRUE(record.lastFailure);
    EXPECT_EQ(record.lastFailure->step, store::AcmeStep::Challenge);
    EXPECT_EQ(record.lastFailure->message, "waiting for the challenge mail: none arrived within 10 s");
    const base::TimePoint failedAt = record.lastFailure->at;

    auto waiting = runRenewals(context(), renewalOptions());
    ASSERT_TRUE(waiting);
    EXPECT_EQ((*waiting)[0].outcome, RenewalOutcome::Nothing);
    EXPECT_EQ((*waiting)[0].decision.reason, acme::RenewalReason::BackingOff);
    EXPECT_EQ((*waiting)[0].decision.at, failedAt + 1min);

    clock.advance(2min);
    reports = runRenewals(context(), options);
    ASSERT_TRUE(reports);
    EXPECT_EQ((*reports)[0].consecutiveFailures, 2);
    record = recordOf(enrolled.identityId);
    EXPECT_EQ(record.consecutiveFailures, 2);
    const acme::Decision decision = decisionFor(record, enrolled.certificate, clock.now());
    EXPECT_EQ(decision.reason, acme::RenewalReason::BackingOff);
    EXPECT_EQ(decision.at, record.lastFailure->at + 10min);
    EXPECT_EQ(identities().size(), 1U);
}

} // namespace
} // namespace sealpost::engine
