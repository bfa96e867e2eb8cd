#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "crypto/CmsTypes.h"
#include "store/Database.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

enum class ProvenanceKind { Harvested, Directory, Imported, Enrolled };
[[nodiscard]] std::string_view provenanceKindName(ProvenanceKind kind) noexcept; // "harvested"

struct Provenance {
    ProvenanceKind kind = ProvenanceKind::Harvested;
    std::string detail; // e.g. the Message-ID it was harvested from; never shown as trusted text
};

// What the caller learnt about a correspondent's certificate, typically from a message whose
// signature was good (see docs/store.md and REFERENCES.md, "Harvesting").
struct CorrespondentCert {
    std::string address; // normalised (lower-cased) by the store; the certificate must name it
    crypto::Certificate cert;
    Provenance provenance;
    base::TimePoint seenAt;
    std::optional<base::TimePoint> signingTime; // of the message it came from
    // nullopt: the sender announced no SMIMECapabilities; an empty vector: it announced none we know.
    std::optional<std::vector<crypto::ContentCipher>> capabilities;
    bool encryptionKeyPreference = false; // the sender's signed SMIMEEncryptionKeyPreference named it
};

// A row of correspondent_certs. Times are whole seconds.
struct StoredCorrespondentCert {
    std::string address;
    crypto::Certificate cert;
    std::string fingerprint; // lower-case hex SHA-256 of the DER
    Provenance provenance;   // from the first sighting
    base::TimePoint firstSeen;
    base::TimePoint lastSeen;
    std::optional<base::TimePoint> signingTime;
    std::optional<std::vector<crypto::ContentCipher>> capabilities;
    bool encryptionKeyPreference = false;
};

enum class UpsertAction {
    Inserted,          // a certificate we did not have
    UpdatedAttributes, // known; a newer signingTime replaced signingTime, capabilities and preference
    TouchedLastSeen,   // known; only last_seen moved (idempotent repeat or an older message)
};

struct UpsertOutcome {
    UpsertAction action = UpsertAction::Inserted;
    bool certificateChanged = false; // a "certificate-changed" event was recorded
};

enum class CertEventKind { CertificateChanged };
[[nodiscard]] std::string_view certEventKindName(CertEventKind kind) noexcept; // "certificate-changed"

struct CertEvent {
    CertEventKind kind = CertEventKind::CertificateChanged;
    std::string address;
    std::optional<std::string> oldFingerprint;
    std::optional<std::string> newFingerprint;
    base::TimePoint at;
};

enum class SelectionReason {
    OnlyCandidate,           // exactly one usable certificate
    EncryptionKeyPreference, // the sender marked it with SMIMEEncryptionKeyPreference
    NewestSigningTime,       // among equals, harvested from the newest signed message
    NewestNotBefore,         // among equals, the most recently issued
    MostRecentlySeen,        // full tie otherwise: the one seen last
    NoCertificate,           // nothing stored for the address
    AllExpired,              // every stored certificate is outside its validity period now
    NoUsableKeyUsage,        // some are valid now, but none allows email encryption (EKU/keyUsage)
};
[[nodiscard]] std::string_view selectionReasonName(SelectionReason reason) noexcept; // "only-candidate"

struct Selection {
    std::optional<StoredCorrespondentCert> cert; // nullopt: nothing usable, see reason
    // AES-256-GCM only when the chosen certificate's stored capabilities include it, otherwise
    // AES-256-CBC: NSS 3.87 and gpgsm 2.2 cannot decrypt GCM (docs/interop.md).
    crypto::ContentCipher cipher = crypto::ContentCipher::Aes256Cbc;
    SelectionReason reason = SelectionReason::NoCertificate;
};

// Correspondents' certificates (correspondent_certs) and their history (cert_events). Writes run
// in one transaction each; reads are single statements. Fingerprints are lower-case hex SHA-256,
// as Certificate::sha256Fingerprint.
class CorrespondentStore {
public:
    // The clock stamps change events and decides whether the preferred certificate is still valid.
    CorrespondentStore(Database& db, const base::Clock& clock) : m_db(db), m_clock(clock) {}

    // Stores the certificate, or refreshes it when the fingerprint is known: last_seen always
    // (never backwards), signingTime/capabilities/preference only when the new signingTime is
    // newer. A new certificate with a different key or issuer than the currently preferred, still
    // valid one records a "certificate-changed" event.
    // InvalidArgument: empty address, or the certificate does not name the address.
    [[nodiscard]] base::Result<UpsertOutcome> remember(const CorrespondentCert& entry);

    // Every certificate for the address, oldest first_seen first.
    [[nodiscard]] base::Result<std::vector<StoredCorrespondentCert>> list(std::string_view address);
    [[nodiscard]] base::Result<std::optional<StoredCorrespondentCert>> find(std::string_view fingerprint);
    // true when a certificate with that fingerprint was removed. Its events are kept (history).
    [[nodiscard]] base::Result<bool> remove(std::string_view fingerprint);

    // Events for the address, oldest first.
    [[nodiscard]] base::Result<std::vector<CertEvent>> events(std::string_view address);

    // The certificate to encrypt to at `now`: valid, emailProtection (or no EKU), a keyUsage fit
    // for encryption and naming the address; ranked by sender preference, then newest
    // signingTime, then newest notBefore.
    [[nodiscard]] base::Result<Selection> selectForEncryption(std::string_view address, base::TimePoint now);

    // Every stored certificate, by address, then oldest first_seen first.
    [[nodiscard]] base::Result<std::vector<StoredCorrespondentCert>> listAll();
    // The certificates whose fingerprint starts with `prefix` (any case), by fingerprint; the whole
    // fingerprint finds at most one. InvalidArgument when the prefix is empty or not hex.
    [[nodiscard]] base::Result<std::vector<StoredCorrespondentCert>> findByPrefix(std::string_view prefix);

private:
    [[nodiscard]] base::Result<bool> recordChangeIfNeeded(const std::string& address,
                                                          const crypto::Certificate& incoming);

    Database& m_db;
    const base::Clock& m_clock;
};

} // namespace sealpost::store
