#pragma once

#include "base/Clock.h"
#include "crypto/Identity.h"
#include "store/Database.h"

#include <string>
#include <string_view>
#include <vector>

namespace sealpost::store {

enum class IdentityRole { Signing, Encryption, Both };
enum class IdentityState { Current, Retired };

[[nodiscard]] std::string_view identityRoleName(IdentityRole role) noexcept;
[[nodiscard]] std::string_view identityStateName(IdentityState state) noexcept;

struct StoredIdentity {
    std::int64_t id = 0;
    std::string address;
    crypto::Identity identity;
    IdentityRole role = IdentityRole::Both;
    IdentityState state = IdentityState::Current;
    base::TimePoint createdAt;
};

// The user's own keys and certificates, every generation: a new identity for an address becomes
// current and retires the ones it replaces (same or overlapping role), which are kept so old
// mail stays readable. Private keys are stored as PKCS#8 inside the encrypted database only.
class IdentityStore {
public:
    IdentityStore(Database& db, const base::Clock& clock) : m_db(db), m_clock(clock) {}

    // Files the identity under every address its certificate names (the first one is used for
    // listing). InvalidArgument when the key does not match the certificate or the certificate
    // names no address; importing the same certificate again changes nothing (returns its id).
    [[nodiscard]] base::Result<std::int64_t> add(const crypto::Identity& identity, IdentityRole role);
    // Every identity, current first, newest first.
    [[nodiscard]] base::Result<std::vector<StoredIdentity>> list();
    // The identities of one address (current and retired), for decryption.
    [[nodiscard]] base::Result<std::vector<StoredIdentity>> forAddress(std::string_view address);

    // The identities whose certificate's SHA-256 fingerprint (lower-case hex) starts with
    // `prefix` (any case), one per certificate however many addresses it is filed under; the
    // whole fingerprint finds at most one. InvalidArgument when the prefix is empty or not hex.
    [[nodiscard]] base::Result<std::vector<StoredIdentity>> withFingerprintPrefix(std::string_view prefix);

private:
    Database& m_db;
    const base::Clock& m_clock;
};

} // namespace sealpost::store
