#pragma once

#include "base/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sealpost::store {

class Database;

// The result of checking a profile database (`sealpost-cli profile check`).
struct ProfileCheckReport {
    std::vector<std::string> problems; // PRAGMA integrity_check findings; empty when the file is sound
    std::int64_t schemaVersion = 0;
    std::int64_t identities = 0;
    std::int64_t correspondentCertificates = 0;
    std::int64_t trustAnchors = 0;
    std::int64_t certificateEvents = 0;
    std::int64_t acmeAccounts = 0;
    std::int64_t renewalRecords = 0; // enrollment/renewal state, one per identity generation
    // SHA-256 (lower-case hex) over every row of every table, in a fixed order: two profiles hold
    // the same data exactly when their digests are equal, whatever the passphrase or page layout.
    std::string contentSha256;

    [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

// Runs PRAGMA integrity_check (every page is read, so every page's HMAC is verified too), counts
// the rows of each table and digests the content. Read-only. A page that fails to decrypt or
// authenticate is an error (MalformedInput), not a finding: sqlite stops at the first such page.
[[nodiscard]] base::Result<ProfileCheckReport> checkProfile(Database& db);

} // namespace sealpost::store
