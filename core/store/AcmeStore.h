#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/PrivateKey.h"
#include "store/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

// The phase of an enrollment or renewal that failed, as recorded.
enum class AcmeStep { Account, Ari, Order, Challenge, Finalize, Download, Store };
[[nodiscard]] std::string_view acmeStepName(AcmeStep step) noexcept; // "account", "ari", ...
[[nodiscard]] std::optional<AcmeStep> parseAcmeStep(std::string_view name) noexcept;

// An ACME account at one CA for one contact address.
struct AcmeAccount {
    std::int64_t id = 0;
    std::string directoryUrl;
    std::string address;    // lower-cased
    std::string accountUrl; // the JWS kid
    crypto::PrivateKey key;
    base::TimePoint createdAt;
};

struct NewAcmeAccount {
    std::string directoryUrl;
    std::string address;
    std::string accountUrl;
    crypto::PrivateKey key;
};

struct AriWindowTimes {
    base::TimePoint start;
    base::TimePoint end;
};

struct RenewalFailure {
    base::TimePoint at;
    AcmeStep step = AcmeStep::Order;
    std::string message; // technical detail for the user; never a secret
};

// The enrollment and renewal state of one identity generation (the identity's id as
// IdentityStore::add returns it). Times are whole Unix seconds.
struct RenewalRecord {
    std::int64_t identityId = 0;
    std::string directoryUrl;
    bool caHasAri = false;                    // the CA's directory offers renewalInfo
    std::optional<std::string> ariCertId;     // RFC 9773 CertID of the certificate
    std::optional<base::TimePoint> nextCheck; // when to ask ARI again
    std::optional<base::TimePoint> renewAt;   // the time chosen in the ARI window
    std::optional<AriWindowTimes> ariWindow;  // the last ARI answer's suggestedWindow
    std::optional<std::string> ariExplanationUrl;
    std::optional<base::TimePoint> ariCheckedAt;
    int consecutiveFailures = 0;
    std::optional<RenewalFailure> lastFailure; // kept after a success, for the record
    std::optional<base::TimePoint> lastSuccessAt;
    std::optional<std::int64_t> replacedBy; // the identity generation that replaced this one
};

// ACME accounts and renewal state (schema v6, docs/acme.md). Account keys are stored as PKCS#8
// inside the encrypted database only; the DER copies are wiped after use. Each write is one
// statement or one transaction.
class AcmeStore {
public:
    AcmeStore(Database& db, const base::Clock& clock) : m_db(db), m_clock(clock) {}

    // Adds an account, stamped with the clock. The address is lower-cased. InvalidArgument when
    // the directory already has an account for the address, or a field is empty.
    [[nodiscard]] base::Result<std::int64_t> addAccount(const NewAcmeAccount& account);
    // The account of `address` (any case) at the CA with this directory URL, or nullopt.
    [[nodiscard]] base::Result<std::optional<AcmeAccount>> findAccount(std::string_view directoryUrl,
                                                                       std::string_view address);
    // After a key rollover (RFC 8555 7.3.5). NotFound when there is no such account.
    [[nodiscard]] base::Result<void> replaceAccountKey(std::int64_t accountId, const crypto::PrivateKey& key);
    // true when the account existed.
    [[nodiscard]] base::Result<bool> removeAccount(std::int64_t accountId);

    // Creates or overwrites the record of record.identityId. NotFound when no identity has that
    // id (or replacedBy names none); InvalidArgument for an empty directory URL or a window whose
    // end is not after its start.
    [[nodiscard]] base::Result<void> saveRenewal(const RenewalRecord& record);
    [[nodiscard]] base::Result<std::optional<RenewalRecord>> findRenewal(std::int64_t identityId);
    // Every record, by identity id.
    [[nodiscard]] base::Result<std::vector<RenewalRecord>> renewals();

    // One more consecutive failure, now, at `step` (the message is cut to 2000 bytes). Returns the
    // new count. NotFound when the identity has no record.
    [[nodiscard]] base::Result<int> recordFailure(std::int64_t identityId, AcmeStep step, std::string_view message);
    // A success now: the failure count goes back to 0 (the last failure is kept). NotFound as above.
    [[nodiscard]] base::Result<void> recordSuccess(std::int64_t identityId);
    // The generation `replacementId` took over from `identityId`. NotFound as above, or when no
    // identity has `replacementId`.
    [[nodiscard]] base::Result<void> markReplaced(std::int64_t identityId, std::int64_t replacementId);

private:
    Database& m_db;
    const base::Clock& m_clock;
};

} // namespace sealpost::store
