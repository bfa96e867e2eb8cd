#pragma once

#include "crypto/Certificate.h"
#include "store/Database.h"

#include <string_view>
#include <vector>

namespace sealpost::store {

// The profile's own trust anchors (roots or pinned intermediates), used in addition to any the
// caller passes, keyed by SHA-256 fingerprint.
class TrustStore {
public:
    explicit TrustStore(Database& db) : m_db(db) {}

    // Adds the anchor; true when it was new, false when it was already there.
    [[nodiscard]] base::Result<bool> add(const crypto::Certificate& anchor);
    [[nodiscard]] base::Result<std::vector<crypto::Certificate>> list();
    // true when an anchor with that fingerprint (lower-case hex, as Certificate::sha256Fingerprint)
    // was removed.
    [[nodiscard]] base::Result<bool> remove(std::string_view fingerprint);

private:
    Database& m_db;
};

} // namespace sealpost::store
