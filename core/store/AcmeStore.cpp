#include "store/AcmeStore.h"

#include "base/SecureBuffer.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace sealpost::store {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr std::size_t kMaxFailureMessage = 2000;

constexpr std::array<std::string_view, 7> kStepNames{"account",  "ari",      "order", "challenge",
                                                     "finalize", "download", "store"};

std::int64_t toSeconds(base::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

base::TimePoint fromSeconds(std::int64_t s) {
    return base::TimePoint(std::chrono::seconds(s));
}

Statement::Value optionalTime(const std::optional<base::TimePoint>& t) {
    if (t) {
        return toSeconds(*t);
    }
    return nullptr;
}

Statement::Value optionalText(const std::optional<std::string>& s) {
    if (s) {
        return std::string_view(*s);
    }
    return nullptr;
}

std::string lowerCase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::optional<base::TimePoint> timeColumn(const Statement& s, int column) {
    if (s.columnIsNull(column)) {
        return std::nullopt;
    }
    return fromSeconds(s.columnInt64(column));
}

std::optional<std::string> textColumn(const Statement& s, int column) {
    if (s.columnIsNull(column)) {
        return std::nullopt;
    }
    return s.columnText(column);
}

// A UTF-8-safe cut: never in the middle of a multi-byte sequence.
std::string_view cut(std::string_view message) {
    if (message.size() <= kMaxFailureMessage) {
        return message;
    }
    std::size_t end = kMaxFailureMessage;
    while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    return message.substr(0, end);
}

base::Result<bool> identityExists(Database& db, std::int64_t id) {
    auto s = Statement::prepare(db, "SELECT 1 FROM identities WHERE id = ?", {id});
    if (!s) {
        return s.error();
    }
    return s->step();
}

// Runs an UPDATE of acme_renewals whose last parameter is the identity id; NotFound when no row changed.
base::Result<void> updateRenewal(Database& db, std::string_view sql, std::initializer_list<Statement::Value> values) {
    auto s = Statement::prepare(db, sql, values);
    if (!s) {
        return s.error();
    }
    if (auto done = s->run(); !done) {
        return done;
    }
    if (db.changes() == 0) {
        return makeError(ErrorCode::NotFound, "no renewal record for this identity");
    }
    return {};
}

base::Result<AcmeAccount> readAccount(const Statement& s) {
    base::Bytes der = s.columnBlob(4);
    auto key = crypto::PrivateKey::parse(der);
    base::secureWipe(der.data(), der.size());
    if (!key) {
        return makeError(ErrorCode::MalformedInput,
                         "a stored ACME account key does not parse (account " + std::to_string(s.columnInt64(0)) + ")");
    }
    return AcmeAccount{
        s.columnInt64(0), s.columnText(1), s.columnText(2), s.columnText(3), *key, fromSeconds(s.columnInt64(5))};
}

constexpr std::string_view kRenewalColumns =
    "identity_id, directory_url, ca_has_ari, ari_cert_id, next_check, renew_at, ari_window_start, ari_window_end, "
    "ari_explanation_url, ari_checked_at, failures, last_failure_at, last_failure_step, last_failure_message, "
    "last_success_at, replaced_by";

RenewalRecord readRenewal(const Statement& s) {
    RenewalRecord r;
    r.identityId = s.columnInt64(0);
    r.directoryUrl = s.columnText(1);
    r.caHasAri = s.columnInt64(2) != 0;
    r.ariCertId = textColumn(s, 3);
    r.nextCheck = timeColumn(s, 4);
    r.renewAt = timeColumn(s, 5);
    if (!s.columnIsNull(6) && !s.columnIsNull(7)) {
        r.ariWindow = AriWindowTimes{fromSeconds(s.columnInt64(6)), fromSeconds(s.columnInt64(7))};
    }
    r.ariExplanationUrl = textColumn(s, 8);
    r.ariCheckedAt = timeColumn(s, 9);
    r.consecutiveFailures = static_cast<int>(s.columnInt64(10));
    if (!s.columnIsNull(11)) {
        r.lastFailure =
            RenewalFailure{fromSeconds(s.columnInt64(11)), parseAcmeStep(s.columnText(12)).value_or(AcmeStep::Order),
                           textColumn(s, 13).value_or("")};
    }
    r.lastSuccessAt = timeColumn(s, 14);
    if (!s.columnIsNull(15)) {
        r.replacedBy = s.columnInt64(15);
    }
    return r;
}

base::Result<std::vector<RenewalRecord>> queryRenewals(Database& db, const std::string& sql,
                                                       std::initializer_list<Statement::Value> values) {
    auto s = Statement::prepare(db, sql, values);
    if (!s) {
        return s.error();
    }
    std::vector<RenewalRecord> out;
    for (;;) {
        auto row = s->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(readRenewal(*s));
    }
}

} // namespace

std::string_view acmeStepName(AcmeStep step) noexcept {
    const auto index = static_cast<std::size_t>(step);
    return index < kStepNames.size() ? kStepNames.at(index) : "order";
}

std::optional<AcmeStep> parseAcmeStep(std::string_view name) noexcept {
    const auto found = std::find(kStepNames.begin(), kStepNames.end(), name);
    if (found == kStepNames.end()) {
        return std::nullopt;
    }
    return static_cast<AcmeStep>(found - kStepNames.begin());
}

base::Result<std::int64_t> AcmeStore::addAccount(const NewAcmeAccount& account) {
    if (account.directoryUrl.empty() || account.address.empty() || account.accountUrl.empty()) {
        return makeError(ErrorCode::InvalidArgument, "an ACME account needs a directory URL, an address and its URL");
    }
    const std::string address = lowerCase(account.address);
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    auto existing = findAccount(account.directoryUrl, address);
    if (!existing) {
        return existing.error();
    }
    if (*existing) {
        return makeError(ErrorCode::InvalidArgument,
                         "there already is an ACME account for " + address + " at " + account.directoryUrl);
    }
    auto der = account.key.pkcs8Der();
    if (!der) {
        return der.error();
    }
    auto insert =
        Statement::prepare(m_db,
                           "INSERT INTO acme_accounts (directory_url, address, account_url, key_pkcs8, "
                           "created_at) VALUES (?, ?, ?, ?, ?)",
                           {account.directoryUrl, address, account.accountUrl, nullptr, toSeconds(m_clock.now())});
    auto bound = insert ? insert->bindBlob(4, *der) : base::Result<void>(insert.error());
    base::secureWipe(der->data(), der->size());
    if (!bound) {
        return bound.error();
    }
    if (auto done = insert->run(); !done) {
        return done.error();
    }
    const std::int64_t id = m_db.lastInsertId();
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return id;
}

base::Result<std::optional<AcmeAccount>> AcmeStore::findAccount(std::string_view directoryUrl,
                                                                std::string_view address) {
    const std::string lower = lowerCase(address);
    auto s = Statement::prepare(m_db,
                                "SELECT id, directory_url, address, account_url, key_pkcs8, created_at FROM "
                                "acme_accounts WHERE directory_url = ? AND address = ?",
                                {directoryUrl, lower});
    if (!s) {
        return s.error();
    }
    auto row = s->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<AcmeAccount>();
    }
    auto account = readAccount(*s);
    if (!account) {
        return account.error();
    }
    return std::optional<AcmeAccount>(std::move(account).value());
}

base::Result<void> AcmeStore::replaceAccountKey(std::int64_t accountId, const crypto::PrivateKey& key) {
    auto der = key.pkcs8Der();
    if (!der) {
        return der.error();
    }
    auto update = Statement::prepare(m_db, "UPDATE acme_accounts SET key_pkcs8 = ? WHERE id = ?");
    auto bound = update ? update->bindBlob(1, *der) : base::Result<void>(update.error());
    base::secureWipe(der->data(), der->size());
    if (!bound) {
        return bound.error();
    }
    if (auto id = update->bindInt64(2, accountId); !id) {
        return id.error();
    }
    if (auto done = update->run(); !done) {
        return done.error();
    }
    if (m_db.changes() == 0) {
        return makeError(ErrorCode::NotFound, "no ACME account with id " + std::to_string(accountId));
    }
    return {};
}

base::Result<bool> AcmeStore::removeAccount(std::int64_t accountId) {
    auto del = Statement::prepare(m_db, "DELETE FROM acme_accounts WHERE id = ?", {accountId});
    if (!del) {
        return del.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    return m_db.changes() > 0;
}

base::Result<void> AcmeStore::saveRenewal(const RenewalRecord& r) {
    if (r.directoryUrl.empty()) {
        return makeError(ErrorCode::InvalidArgument, "a renewal record needs the CA's directory URL");
    }
    if (r.ariWindow && r.ariWindow->end <= r.ariWindow->start) {
        return makeError(ErrorCode::InvalidArgument, "an ARI window must end after it starts");
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    for (const auto id : {std::optional<std::int64_t>(r.identityId), r.replacedBy}) {
        if (!id) {
            continue;
        }
        auto exists = identityExists(m_db, *id);
        if (!exists) {
            return exists.error();
        }
        if (!*exists) {
            return makeError(ErrorCode::NotFound, "no identity with id " + std::to_string(*id));
        }
    }
    const std::optional<std::string> step =
        r.lastFailure ? std::optional<std::string>(acmeStepName(r.lastFailure->step)) : std::nullopt;
    const std::optional<std::string> message =
        r.lastFailure ? std::optional<std::string>(cut(r.lastFailure->message)) : std::nullopt;
    Statement::Value replacedBy = nullptr;
    if (r.replacedBy) {
        replacedBy = *r.replacedBy;
    }
    auto upsert = Statement::prepare(
        m_db,
        "INSERT OR REPLACE INTO acme_renewals (" + std::string(kRenewalColumns) +
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {r.identityId, r.directoryUrl, std::int64_t{r.caHasAri ? 1 : 0}, optionalText(r.ariCertId),
         optionalTime(r.nextCheck), optionalTime(r.renewAt),
         optionalTime(r.ariWindow ? std::optional(r.ariWindow->start) : std::nullopt),
         optionalTime(r.ariWindow ? std::optional(r.ariWindow->end) : std::nullopt), optionalText(r.ariExplanationUrl),
         optionalTime(r.ariCheckedAt), std::int64_t{r.consecutiveFailures},
         optionalTime(r.lastFailure ? std::optional(r.lastFailure->at) : std::nullopt), optionalText(step),
         optionalText(message), optionalTime(r.lastSuccessAt), replacedBy});
    if (!upsert) {
        return upsert.error();
    }
    if (auto done = upsert->run(); !done) {
        return done;
    }
    return transaction->commit();
}

base::Result<std::optional<RenewalRecord>> AcmeStore::findRenewal(std::int64_t identityId) {
    auto found = queryRenewals(
        m_db, "SELECT " + std::string(kRenewalColumns) + " FROM acme_renewals WHERE identity_id = ?", {identityId});
    if (!found) {
        return found.error();
    }
    if (found->empty()) {
        return std::optional<RenewalRecord>();
    }
    return std::optional<RenewalRecord>(std::move(found->front()));
}

base::Result<std::vector<RenewalRecord>> AcmeStore::renewals() {
    return queryRenewals(m_db, "SELECT " + std::string(kRenewalColumns) + " FROM acme_renewals ORDER BY identity_id",
                         {});
}

base::Result<int> AcmeStore::recordFailure(std::int64_t identityId, AcmeStep step, std::string_view message) {
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    if (auto updated = updateRenewal(m_db,
                                     "UPDATE acme_renewals SET failures = failures + 1, last_failure_at = ?, "
                                     "last_failure_step = ?, last_failure_message = ? WHERE identity_id = ?",
                                     {toSeconds(m_clock.now()), acmeStepName(step), cut(message), identityId});
        !updated) {
        return updated.error();
    }
    auto count = Statement::prepare(m_db, "SELECT failures FROM acme_renewals WHERE identity_id = ?", {identityId});
    if (!count) {
        return count.error();
    }
    auto row = count->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return makeError(ErrorCode::NotFound, "no renewal record for this identity");
    }
    const auto failures = static_cast<int>(count->columnInt64(0));
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return failures;
}

base::Result<void> AcmeStore::recordSuccess(std::int64_t identityId) {
    return updateRenewal(m_db, "UPDATE acme_renewals SET failures = 0, last_success_at = ? WHERE identity_id = ?",
                         {toSeconds(m_clock.now()), identityId});
}

base::Result<void> AcmeStore::markReplaced(std::int64_t identityId, std::int64_t replacementId) {
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    auto exists = identityExists(m_db, replacementId);
    if (!exists) {
        return exists.error();
    }
    if (!*exists) {
        return makeError(ErrorCode::NotFound, "no identity with id " + std::to_string(replacementId));
    }
    if (auto updated = updateRenewal(m_db, "UPDATE acme_renewals SET replaced_by = ? WHERE identity_id = ?",
                                     {replacementId, identityId});
        !updated) {
        return updated;
    }
    return transaction->commit();
}

} // namespace sealpost::store
