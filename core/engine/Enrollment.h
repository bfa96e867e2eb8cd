#pragma once
// First-run enrollment (docs/acme.md, "The client"): an ACME account, an order for one address,
// the RFC 8823 challenge answered through the user's own mailbox, the certificate stored as the
// address's new current identity, its renewal record saved. For a GUI worker thread: progress as
// data, cancellation by stop token, time, waiting and randomness injected, no output.

#include "acme/AcmeError.h"
#include "acme/HttpTransport.h"
#include "acme/RenewalPolicy.h"
#include "acme/Sleeper.h"
#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "crypto/KeyGen.h"
#include "engine/EnrollmentMailbox.h"
#include "store/AcmeStore.h"
#include "store/Database.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// The steps of an enrollment, in order.
enum class EnrollStep {
    Account,     // find, check or create the ACME account
    Order,       // newOrder and its authorization
    WaitForMail, // watch the INBOX for the CA's challenge mail
    Reply,       // send the reply through the user's SMTP server
    Validate,    // tell the CA, wait for the authorization to become valid
    Finalize,    // certificate key, CSR, finalize, wait for the order
    Download,    // fetch the chain
    Check,       // the leaf: our key, our address, chains to the CA root
    Store,       // identity, trust anchor, renewal record
    Cleanup,     // delete the challenge mail
    RenewalInfo, // the renewal run's ARI check (not a step of enroll())
};
// "account", "order", "waiting for the challenge mail", "reply", "validation", "finalize",
// "download", "checking the certificate", "store", "cleanup", "renewal info".
[[nodiscard]] std::string_view enrollStepName(EnrollStep step) noexcept;
// The phase recorded in the renewal state (store::AcmeStep) for a failed step.
[[nodiscard]] store::AcmeStep recordedStep(EnrollStep step) noexcept;

struct EnrollmentProgress {
    EnrollStep step = EnrollStep::Account;
    std::string detail; // technical, for a log line ("order https://ca/acme/order/7 pending")
};

struct EnrollmentFailure {
    EnrollStep step = EnrollStep::Account;
    base::Error error;
    std::optional<acme::AcmeProblem> problem; // when the CA refused with a problem document
    std::optional<std::chrono::seconds> retryAfter;

    // "<step>: <detail>", e.g. "finalize: badCSR: key too small" or "waiting for the challenge
    // mail: none arrived within 10 min".
    [[nodiscard]] std::string message() const;
    [[nodiscard]] bool caRefused() const noexcept { return problem.has_value(); }
};

struct Enrolled {
    std::int64_t identityId = 0; // IdentityStore's id of the new current identity
    crypto::Certificate certificate;
    std::vector<crypto::Certificate> chain; // as served, leaf excluded
    std::string directoryUrl;
    std::string ariCertId; // empty when the certificate has none
    bool caHasAri = false;
    std::optional<base::TimePoint> renewAt; // from the policy: the ARI choice, else the lifetime rule
    bool accountCreated = false;            // a new ACME account was registered
    bool rootAdded = false;                 // the CA root was new to the profile's trust store
    bool replacedOrder = false;             // the order carried `replaces`
    std::vector<std::string> skippedMails;  // candidate mails that were not the challenge, with the rule they broke
    std::string cleanupError;               // the challenge mail could not be deleted (not a failure)
};

// Either the enrolled identity or where and why it failed.
class EnrollmentResult {
public:
    EnrollmentResult(Enrolled enrolled) : m_enrolled(std::move(enrolled)) {}
    EnrollmentResult(EnrollmentFailure failure) : m_failure(std::move(failure)) {}
    [[nodiscard]] bool ok() const noexcept { return m_enrolled.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const Enrolled& value() const { return *m_enrolled; }
    [[nodiscard]] Enrolled& value() { return *m_enrolled; }
    [[nodiscard]] const EnrollmentFailure& failure() const { return *m_failure; }

private:
    std::optional<Enrolled> m_enrolled;
    std::optional<EnrollmentFailure> m_failure;
};

// What enrollment and renewal run with; everything outlives the call.
struct EnrollmentContext {
    store::Database* db = nullptr;
    acme::HttpTransport* transport = nullptr; // to the CA
    const base::Clock* clock = nullptr;
    acme::Sleeper* sleeper = nullptr;
    acme::UnitRandom random; // for ARI times (acme::systemUnitRandom())
    std::stop_token stop;
    std::function<void(const EnrollmentProgress&)> onProgress; // optional; on the calling thread
};

struct EnrollmentRequest {
    std::string directoryUrl;
    std::string address;                         // one mail account's address
    EnrollmentMailbox* mailbox = nullptr;        // that account's mailbox
    const crypto::Certificate* caRoot = nullptr; // the only anchor for the challenge mail and the chain
    crypto::KeySpec keySpec = crypto::KeySpec::Rsa3072;
    std::chrono::seconds mailTimeout{600};
    std::chrono::milliseconds mailPollInterval{2000};
    std::chrono::seconds pollTimeout{300}; // authorization and order polling
    // Renewal: the identity generation this one replaces. Its certificate's CertID goes into the
    // order's `replaces` when the CA offers ARI, and its renewal record (if any) is marked
    // replaced by the new generation in the transaction that stores it.
    std::optional<std::int64_t> replaces;
};

// Runs every step of docs/acme.md, "The client". On success the new identity is current (role
// both), the previous generation of the address is retired (kept for decryption), the CA root is
// a profile trust anchor and the renewal record is saved. Nothing is stored unless every step up
// to Check succeeded. A failure names its step; Cancelled when `stop` was requested.
[[nodiscard]] EnrollmentResult enroll(const EnrollmentContext& context, const EnrollmentRequest& request);

} // namespace sealpost::engine
