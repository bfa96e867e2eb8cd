#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/Certificate.h"
#include "crypto/CertificateCache.h"
#include "crypto/CmsVerifier.h"
#include "crypto/Identity.h"
#include "mime/MimeEntity.h"
#include "store/CorrespondentStore.h"
#include "store/Database.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::engine {

// Why a message did or did not teach us a certificate. Stable names (harvestVerdictName) for the
// CLI and the UI.
enum class HarvestVerdict {
    Harvested,            // a certificate was stored, or a known one refreshed
    NothingToLearn,       // a good signature from the From address, but no certificate fit to keep
    NotSigned,            // no signature at all
    NotDecrypted,         // encrypted to a key we do not have: any signature inside stays unknown
    SignatureNotGood,     // invalid, untrusted, expired or uncheckable signature
    MultipleSigners,      // several signers: whose certificate would it be? Not harvested
    SignatureNotCovering, // the signature covers only part of the message (a wrapped signed part)
    SignerNotFrom,        // the signer's certificate does not name the single From address
    Unreadable,           // not a usable message at all (detail says why)
};
[[nodiscard]] std::string_view harvestVerdictName(HarvestVerdict verdict) noexcept; // "signer-not-from"

enum class CertificateSource {
    Signer,                  // the certificate that made the good signature
    EncryptionKeyPreference, // named by the signer's signed SMIMEEncryptionKeyPreference attribute
    CertsOnly,               // an application/pkcs7-mime; smime-type=certs-only part of the message
};
[[nodiscard]] std::string_view certificateSourceName(CertificateSource source) noexcept; // "certs-only"

struct LearnedCertificate {
    std::string address;
    std::string fingerprint;
    CertificateSource source = CertificateSource::Signer;
    store::UpsertAction action = store::UpsertAction::Inserted;
    bool certificateChanged = false; // the store recorded a "certificate-changed" event
};

// A certificate the message offered that was not kept, and why (for transparency; bag
// certificates that nobody pointed to are not listed).
struct IgnoredCertificate {
    std::string fingerprint;
    CertificateSource source = CertificateSource::CertsOnly;
    std::string reason; // "chain: certificate has expired", "does not name the From address", ...
};

struct MessageHarvest {
    HarvestVerdict verdict = HarvestVerdict::Unreadable;
    std::string detail;    // what exactly was wrong, for the verdicts that are not Harvested
    std::string messageId; // as written, angle brackets included; "" when missing
    std::string from;      // the From address the signer was compared with
    std::vector<LearnedCertificate> learned;
    std::vector<IgnoredCertificate> ignored;
};

// A certificate the harvester decided to keep, not yet written.
struct PendingCertificate {
    store::CorrespondentCert entry;
    CertificateSource source = CertificateSource::Signer;
    // The issuing path from the message (no root), sent along when the certificate is published.
    std::vector<crypto::Certificate> intermediates;
};

// The verdict on one message before anything is written: Harvester::assess() makes it on any
// thread, Harvester::record() writes it on the database's thread.
struct Assessment {
    MessageHarvest harvest; // learned is empty until recorded
    std::vector<PendingCertificate> keep;
};

struct HarvestOptions {
    std::span<const crypto::Identity> identities;      // to decrypt encrypted mail, tried in order
    std::span<const crypto::Certificate> trustAnchors; // profile and system anchors
    mime::ParseLimits limits;
};

// Learns correspondents' certificates from signed mail, the way Thunderbird does but stricter:
// only a single signer whose signature is good (valid chain to an anchor, for e-mail, the message
// unchanged), that covers the whole message and whose certificate names the From address. Kept is
// the certificate named by SMIMEEncryptionKeyPreference when it validates (chain, e-mail use,
// encryption key usage, names the From address), otherwise the signer's; plus validated
// certificates from certs-only parts that name the From address. Everything else in the bag of
// certificates is ignored, and so are the profile's own certificates (its identities, retired ones
// too): a Sent copy or a note to self teaches nothing about a correspondent. Provenance:
// "harvested", detail = the Message-ID.
//
// "now" (the clock) is the time of every validity check. A message's certificates count as seen
// at its signingTime (never later than now), so harvesting the same mail again changes nothing.
// assess() may run on several threads at once; harvest()/record() only on the database's thread.
//
// When the profile publishes harvested certificates (store::DirectorySettings, on by default),
// record() also queues every kept certificate for upload to the directory, in the same transaction.
class Harvester {
public:
    // Borrows the database; every message is written in one transaction (a savepoint when the
    // caller has one open, see harvestAll).
    Harvester(store::Database& db, const base::Clock& clock, HarvestOptions options)
        : m_db(db), m_store(db, clock), m_clock(clock), m_options(options),
          m_certificateCache(std::make_unique<crypto::CertificateCache>()) {}

    // assess() then record(). Message problems are verdicts; an Error means the store failed
    // (nothing of this message was written then).
    [[nodiscard]] base::Result<MessageHarvest> harvest(std::string&& message);

    // Opens, verifies and decides; touches no database. Safe to call from several threads at
    // once (the options' keys, anchors and the clock are only read).
    [[nodiscard]] Assessment assess(std::string&& message) const;
    // Writes what assess() decided, in one transaction (a savepoint inside an open one).
    [[nodiscard]] base::Result<MessageHarvest> record(Assessment&& assessment);

private:
    void keepCertsOnly(const std::string& text, const crypto::SignerResult& signer, Assessment& out) const;
    void keep(const crypto::Certificate& cert, CertificateSource source, const crypto::SignerResult& signer,
              Assessment& out) const;

    store::Database& m_db;
    store::CorrespondentStore m_store;
    const base::Clock& m_clock;
    HarvestOptions m_options;
    // Mail repeats the same signer and intermediate certificates; parsing each only once saves a
    // large part of the verification. Shared by the assess() threads (it locks itself).
    std::unique_ptr<crypto::CertificateCache> m_certificateCache;
    std::optional<bool> m_publish; // the profile's "publish harvested certificates", read once
};

} // namespace sealpost::engine
