#include "store/CorrespondentStore.h"

#include "crypto/CertificateChecks.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <utility>

namespace sealpost::store {
namespace {

constexpr const char* kSelectColumns =
    "SELECT address, cert_der, fingerprint, provenance_kind, provenance_detail, first_seen, last_seen, "
    "signing_time, capabilities, encryption_key_preference FROM correspondent_certs ";

constexpr std::array kProvenanceKinds{ProvenanceKind::Harvested, ProvenanceKind::Directory, ProvenanceKind::Imported,
                                      ProvenanceKind::Enrolled};

std::string lowerAscii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

base::Result<std::string> normaliseAddress(std::string_view address) {
    if (address.empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument, "empty correspondent address");
    }
    return lowerAscii(address);
}

std::int64_t toSeconds(base::TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

base::TimePoint fromSeconds(std::int64_t seconds) {
    return base::TimePoint{std::chrono::seconds{seconds}};
}

// SMIMECapabilities as a comma-separated list of cipherName()s, in the sender's order.
std::string encodeCapabilities(const std::vector<crypto::ContentCipher>& ciphers) {
    std::string out;
    for (const auto cipher : ciphers) {
        if (!out.empty()) {
            out += ',';
        }
        out += crypto::cipherName(cipher);
    }
    return out;
}

// Names this build does not know are skipped, as the crypto layer skips unknown OIDs.
std::vector<crypto::ContentCipher> decodeCapabilities(std::string_view text) {
    std::vector<crypto::ContentCipher> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto name = text.substr(0, comma);
        if (auto cipher = crypto::cipherFromName(name)) {
            out.push_back(*cipher);
        }
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return out;
}

base::Result<StoredCorrespondentCert> readCertRow(const Statement& row) {
    const base::Bytes der = row.columnBlob(1);
    auto certs = crypto::Certificate::parseAll(der);
    if (!certs || certs->size() != 1) {
        return base::makeError(base::ErrorCode::MalformedInput, "a stored correspondent certificate does not parse");
    }
    const std::string kindText = row.columnText(3);
    const auto kind = std::find_if(kProvenanceKinds.begin(), kProvenanceKinds.end(),
                                   [&](ProvenanceKind k) { return provenanceKindName(k) == kindText; });
    if (kind == kProvenanceKinds.end()) {
        return base::makeError(base::ErrorCode::MalformedInput, "unknown provenance kind in correspondent_certs");
    }
    StoredCorrespondentCert out{.address = row.columnText(0),
                                .cert = certs->front(),
                                .fingerprint = row.columnText(2),
                                .provenance = {*kind, row.columnText(4)},
                                .firstSeen = fromSeconds(row.columnInt64(5)),
                                .lastSeen = fromSeconds(row.columnInt64(6)),
                                .signingTime = std::nullopt,
                                .capabilities = std::nullopt,
                                .encryptionKeyPreference = !row.columnIsNull(9) && row.columnInt64(9) != 0};
    if (!row.columnIsNull(7)) {
        out.signingTime = fromSeconds(row.columnInt64(7));
    }
    if (!row.columnIsNull(8)) {
        out.capabilities = decodeCapabilities(row.columnText(8));
    }
    return out;
}

// Steps `select` (kSelectColumns ...) to the end and reads every row.
base::Result<std::vector<StoredCorrespondentCert>> readCertRows(Statement& select) {
    std::vector<StoredCorrespondentCert> out;
    for (;;) {
        auto row = select.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        auto cert = readCertRow(select);
        if (!cert) {
            return cert.error();
        }
        out.push_back(std::move(cert).value());
    }
}

// Runs `sql` (kSelectColumns + a WHERE with one text parameter) and reads every row.
base::Result<std::vector<StoredCorrespondentCert>> queryCerts(Database& db, const std::string& sql,
                                                              std::string_view param) {
    auto select = Statement::prepare(db, sql);
    if (!select) {
        return select.error();
    }
    if (auto b = select->bindText(1, param); !b) {
        return b.error();
    }
    return readCertRows(*select);
}

base::Result<void> bindOptionalTime(Statement& s, int index, const std::optional<base::TimePoint>& t) {
    return t ? s.bindInt64(index, toSeconds(*t)) : s.bindNull(index);
}

base::Result<void> bindCapabilities(Statement& s, int index,
                                    const std::optional<std::vector<crypto::ContentCipher>>& capabilities) {
    return capabilities ? s.bindText(index, encodeCapabilities(*capabilities)) : s.bindNull(index);
}

// RFC 8551 2.5.3 is a presence flag: 1 when the sender marked the certificate, NULL otherwise.
base::Result<void> bindPreference(Statement& s, int index, bool preferred) {
    return preferred ? s.bindInt64(index, 1) : s.bindNull(index);
}

base::Result<void> insertCert(Database& db, const std::string& address, const CorrespondentCert& entry) {
    auto insert = Statement::prepare(
        db, "INSERT INTO correspondent_certs (address, cert_der, fingerprint, provenance_kind, provenance_detail, "
            "first_seen, last_seen, signing_time, capabilities, encryption_key_preference) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) {
        return insert.error();
    }
    const base::Bytes der = entry.cert.der();
    const std::int64_t seen = toSeconds(entry.seenAt);
    for (const auto& bound :
         {insert->bindText(1, address), insert->bindBlob(2, der), insert->bindText(3, entry.cert.sha256Fingerprint()),
          insert->bindText(4, provenanceKindName(entry.provenance.kind)), insert->bindText(5, entry.provenance.detail),
          insert->bindInt64(6, seen), insert->bindInt64(7, seen), bindOptionalTime(*insert, 8, entry.signingTime),
          bindCapabilities(*insert, 9, entry.capabilities),
          bindPreference(*insert, 10, entry.encryptionKeyPreference)}) {
        if (!bound) {
            return bound.error();
        }
    }
    return insert->run();
}

// What refreshing a known certificate needs of its row: unlike find(), no certificate to parse
// (harvesting looks up every signer of every message, and most are known).
struct KnownCert {
    std::optional<std::int64_t> signingTime;
};

// A certificate is filed once per address it is known for (schema v2: unique address+fingerprint).
base::Result<std::optional<KnownCert>> findKnown(Database& db, const std::string& address,
                                                 const std::string& fingerprint) {
    auto select =
        Statement::prepare(db, "SELECT signing_time FROM correspondent_certs WHERE fingerprint = ? AND address = ?");
    if (!select) {
        return select.error();
    }
    for (const auto& bound : {select->bindText(1, fingerprint), select->bindText(2, address)}) {
        if (!bound) {
            return bound.error();
        }
    }
    auto row = select->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<KnownCert>{};
    }
    KnownCert known;
    if (!select->columnIsNull(0)) {
        known.signingTime = select->columnInt64(0);
    }
    return std::optional<KnownCert>{known};
}

// Known certificate: last_seen never moves backwards; the message attributes follow the newest
// signingTime ("newer signingTime wins"), so replaying an old message changes nothing else. A row
// whose last_seen is already as late is not rewritten (no page to write back for a repeat).
base::Result<UpsertAction> refreshCert(Database& db, const std::string& address, const std::string& fingerprint,
                                       const KnownCert& stored, const CorrespondentCert& entry) {
    const bool newer =
        entry.signingTime && (!stored.signingTime || toSeconds(*entry.signingTime) > *stored.signingTime);
    auto touch = Statement::prepare(
        db, "UPDATE correspondent_certs SET last_seen = ?1 WHERE fingerprint = ?2 AND address = ?3 AND last_seen < ?1");
    if (!touch) {
        return touch.error();
    }
    for (const auto& bound :
         {touch->bindInt64(1, toSeconds(entry.seenAt)), touch->bindText(2, fingerprint), touch->bindText(3, address)}) {
        if (!bound) {
            return bound.error();
        }
    }
    if (auto done = touch->run(); !done) {
        return done.error();
    }
    if (!newer) {
        return UpsertAction::TouchedLastSeen;
    }
    auto update = Statement::prepare(db, "UPDATE correspondent_certs SET signing_time = ?, capabilities = ?, "
                                         "encryption_key_preference = ? WHERE fingerprint = ? AND address = ?");
    if (!update) {
        return update.error();
    }
    for (const auto& bound :
         {bindOptionalTime(*update, 1, entry.signingTime), bindCapabilities(*update, 2, entry.capabilities),
          bindPreference(*update, 3, entry.encryptionKeyPreference), update->bindText(4, fingerprint),
          update->bindText(5, address)}) {
        if (!bound) {
            return bound.error();
        }
    }
    if (auto done = update->run(); !done) {
        return done.error();
    }
    return UpsertAction::UpdatedAttributes;
}

// Ranking key, best first: sender preference, newest signingTime (absent = oldest), newest
// notBefore, last seen.
bool ranksBefore(const StoredCorrespondentCert& a, const StoredCorrespondentCert& b) {
    if (a.encryptionKeyPreference != b.encryptionKeyPreference) {
        return a.encryptionKeyPreference;
    }
    if (a.signingTime != b.signingTime) {
        return a.signingTime > b.signingTime; // std::optional orders nullopt first
    }
    if (a.cert.notBefore() != b.cert.notBefore()) {
        return a.cert.notBefore() > b.cert.notBefore();
    }
    if (a.lastSeen != b.lastSeen) {
        return a.lastSeen > b.lastSeen;
    }
    return a.fingerprint < b.fingerprint; // deterministic
}

// Why `best` beat `runnerUp`.
SelectionReason decidingReason(const StoredCorrespondentCert& best, const StoredCorrespondentCert& runnerUp) {
    if (best.encryptionKeyPreference != runnerUp.encryptionKeyPreference) {
        return SelectionReason::EncryptionKeyPreference;
    }
    if (best.signingTime != runnerUp.signingTime) {
        return SelectionReason::NewestSigningTime;
    }
    if (best.cert.notBefore() != runnerUp.cert.notBefore()) {
        return SelectionReason::NewestNotBefore;
    }
    return SelectionReason::MostRecentlySeen;
}

crypto::ContentCipher cipherFor(const StoredCorrespondentCert& cert) {
    const bool gcm = cert.capabilities && std::find(cert.capabilities->begin(), cert.capabilities->end(),
                                                    crypto::ContentCipher::Aes256Gcm) != cert.capabilities->end();
    return gcm ? crypto::ContentCipher::Aes256Gcm : crypto::ContentCipher::Aes256Cbc;
}

Selection choose(std::vector<StoredCorrespondentCert> stored, const std::string& address, base::TimePoint now) {
    std::vector<StoredCorrespondentCert> usable;
    bool anyValid = false;
    bool anyNamed = false;
    for (auto& entry : stored) {
        if (!entry.cert.hasEmailAddress(address)) {
            continue;
        }
        anyNamed = true;
        if (!crypto::isValidAt(entry.cert, now)) {
            continue;
        }
        anyValid = true;
        if (crypto::allowsEmailProtection(entry.cert) && crypto::allowsEncryption(entry.cert)) {
            usable.push_back(std::move(entry));
        }
    }
    if (usable.empty()) {
        const auto reason = !anyNamed  ? SelectionReason::NoCertificate
                            : anyValid ? SelectionReason::NoUsableKeyUsage
                                       : SelectionReason::AllExpired;
        return Selection{.cert = std::nullopt, .cipher = crypto::ContentCipher::Aes256Cbc, .reason = reason};
    }
    std::sort(usable.begin(), usable.end(), ranksBefore);
    const auto reason = usable.size() == 1 ? SelectionReason::OnlyCandidate : decidingReason(usable[0], usable[1]);
    const auto cipher = cipherFor(usable.front());
    return Selection{.cert = std::move(usable.front()), .cipher = cipher, .reason = reason};
}

} // namespace

std::string_view provenanceKindName(ProvenanceKind kind) noexcept {
    switch (kind) {
    case ProvenanceKind::Harvested: return "harvested";
    case ProvenanceKind::Directory: return "directory";
    case ProvenanceKind::Imported: return "imported";
    case ProvenanceKind::Enrolled: return "enrolled";
    }
    return "unknown";
}

std::string_view certEventKindName(CertEventKind kind) noexcept {
    switch (kind) {
    case CertEventKind::CertificateChanged: return "certificate-changed";
    }
    return "unknown";
}

std::string_view selectionReasonName(SelectionReason reason) noexcept {
    switch (reason) {
    case SelectionReason::OnlyCandidate: return "only-candidate";
    case SelectionReason::EncryptionKeyPreference: return "encryption-key-preference";
    case SelectionReason::NewestSigningTime: return "newest-signing-time";
    case SelectionReason::NewestNotBefore: return "newest-not-before";
    case SelectionReason::MostRecentlySeen: return "most-recently-seen";
    case SelectionReason::NoCertificate: return "no-certificate";
    case SelectionReason::AllExpired: return "all-expired";
    case SelectionReason::NoUsableKeyUsage: return "no-usable-key-usage";
    }
    return "unknown";
}

base::Result<UpsertOutcome> CorrespondentStore::remember(const CorrespondentCert& entry) {
    auto address = normaliseAddress(entry.address);
    if (!address) {
        return address.error();
    }
    if (!entry.cert.hasEmailAddress(*address)) {
        return base::makeError(base::ErrorCode::InvalidArgument, "the certificate does not name the address");
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    const std::string fingerprint = entry.cert.sha256Fingerprint();
    auto existing = findKnown(m_db, *address, fingerprint);
    if (!existing) {
        return existing.error();
    }
    UpsertOutcome outcome;
    if (*existing) {
        auto action = refreshCert(m_db, *address, fingerprint, **existing, entry);
        if (!action) {
            return action.error();
        }
        outcome.action = *action;
    } else {
        auto changed = recordChangeIfNeeded(*address, entry.cert);
        if (!changed) {
            return changed.error();
        }
        if (auto inserted = insertCert(m_db, *address, entry); !inserted) {
            return inserted.error();
        }
        outcome = {.action = UpsertAction::Inserted, .certificateChanged = *changed};
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return outcome;
}

// A different key or issuer while the preferred certificate is still valid is what a key
// substitution looks like; a renewal close to expiry, or a re-issue of the same key by the same
// CA, is routine and not recorded.
base::Result<bool> CorrespondentStore::recordChangeIfNeeded(const std::string& address,
                                                            const crypto::Certificate& incoming) {
    const base::TimePoint now = m_clock.now();
    auto current = selectForEncryption(address, now);
    if (!current) {
        return current.error();
    }
    if (!current->cert || current->cert->cert.notAfter() <= now) {
        return false;
    }
    const crypto::Certificate& preferred = current->cert->cert;
    if (crypto::hasSamePublicKey(preferred, incoming) && preferred.issuer() == incoming.issuer()) {
        return false;
    }
    auto insert = Statement::prepare(m_db, "INSERT INTO cert_events (address, kind, old_fingerprint, "
                                           "new_fingerprint, at) VALUES (?, ?, ?, ?, ?)");
    if (!insert) {
        return insert.error();
    }
    for (const auto& bound :
         {insert->bindText(1, address), insert->bindText(2, certEventKindName(CertEventKind::CertificateChanged)),
          insert->bindText(3, current->cert->fingerprint), insert->bindText(4, incoming.sha256Fingerprint()),
          insert->bindInt64(5, toSeconds(now))}) {
        if (!bound) {
            return bound.error();
        }
    }
    if (auto done = insert->run(); !done) {
        return done.error();
    }
    return true;
}

base::Result<std::vector<StoredCorrespondentCert>> CorrespondentStore::list(std::string_view address) {
    auto normalised = normaliseAddress(address);
    if (!normalised) {
        return normalised.error();
    }
    return queryCerts(m_db, std::string(kSelectColumns) + "WHERE address = ? ORDER BY first_seen, id", *normalised);
}

base::Result<std::optional<StoredCorrespondentCert>> CorrespondentStore::find(std::string_view fingerprint) {
    auto rows = queryCerts(m_db, std::string(kSelectColumns) + "WHERE fingerprint = ?", lowerAscii(fingerprint));
    if (!rows) {
        return rows.error();
    }
    if (rows->empty()) {
        return std::optional<StoredCorrespondentCert>{};
    }
    return std::optional<StoredCorrespondentCert>{std::move(rows->front())};
}

base::Result<bool> CorrespondentStore::remove(std::string_view fingerprint) {
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    auto del = Statement::prepare(m_db, "DELETE FROM correspondent_certs WHERE fingerprint = ?");
    if (!del) {
        return del.error();
    }
    if (auto b = del->bindText(1, lowerAscii(fingerprint)); !b) {
        return b.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    const bool removed = m_db.changes() > 0;
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return removed;
}

base::Result<std::vector<CertEvent>> CorrespondentStore::events(std::string_view address) {
    auto normalised = normaliseAddress(address);
    if (!normalised) {
        return normalised.error();
    }
    auto select = Statement::prepare(m_db, "SELECT kind, old_fingerprint, new_fingerprint, at FROM cert_events "
                                           "WHERE address = ? ORDER BY at, id");
    if (!select) {
        return select.error();
    }
    if (auto b = select->bindText(1, *normalised); !b) {
        return b.error();
    }
    std::vector<CertEvent> out;
    for (;;) {
        auto row = select->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        if (select->columnText(0) != certEventKindName(CertEventKind::CertificateChanged)) {
            continue; // kinds a newer version writes; not ours to interpret
        }
        CertEvent event{.kind = CertEventKind::CertificateChanged,
                        .address = *normalised,
                        .oldFingerprint = std::nullopt,
                        .newFingerprint = std::nullopt,
                        .at = fromSeconds(select->columnInt64(3))};
        if (!select->columnIsNull(1)) {
            event.oldFingerprint = select->columnText(1);
        }
        if (!select->columnIsNull(2)) {
            event.newFingerprint = select->columnText(2);
        }
        out.push_back(std::move(event));
    }
}

base::Result<Selection> CorrespondentStore::selectForEncryption(std::string_view address, base::TimePoint now) {
    auto normalised = normaliseAddress(address);
    if (!normalised) {
        return normalised.error();
    }
    auto stored = list(*normalised);
    if (!stored) {
        return stored.error();
    }
    return choose(std::move(stored).value(), *normalised, now);
}

base::Result<std::vector<StoredCorrespondentCert>> CorrespondentStore::listAll() {
    auto select = Statement::prepare(m_db, std::string(kSelectColumns) + "ORDER BY address, first_seen, id");
    if (!select) {
        return select.error();
    }
    return readCertRows(*select);
}

base::Result<std::vector<StoredCorrespondentCert>> CorrespondentStore::findByPrefix(std::string_view prefix) {
    if (prefix.empty() ||
        !std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isxdigit(c); })) {
        return base::makeError(base::ErrorCode::InvalidArgument, "a fingerprint is hexadecimal");
    }
    // The parameter is plain hex, so comparing the leading characters needs no LIKE escaping.
    // One row per certificate (the first address it was filed under), so a certificate known for
    // two addresses is not "ambiguous".
    return queryCerts(m_db,
                      std::string(kSelectColumns) +
                          "WHERE substr(fingerprint, 1, length(?1)) = ?1 AND id IN (SELECT min(id) FROM "
                          "correspondent_certs GROUP BY fingerprint) ORDER BY fingerprint",
                      lowerAscii(prefix));
}

} // namespace sealpost::store
