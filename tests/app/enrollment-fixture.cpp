// Test helper for status-test.sh: gives the current identity of an address a renewal record
// through the real store, as enrollment will, with a fixed ARI answer and two failures.
// Usage: enrollment-fixture PROFILE_DB ADDRESS (the passphrase comes from $SEALPOST_PASSPHRASE).
#include "base/SecureBuffer.h"
#include "store/AcmeStore.h"
#include "store/IdentityStore.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

using namespace sealpost;

namespace {

base::TimePoint utc(int year, unsigned month, unsigned day, int hour) {
    return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day)) +
           std::chrono::hours(hour);
}

int failWith(const std::string& what) {
    std::cerr << "enrollment-fixture: " << what << "\n";
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    const char* passphrase = std::getenv("SEALPOST_PASSPHRASE");
    if (argc != 3 || passphrase == nullptr) {
        return failWith("usage: enrollment-fixture PROFILE_DB ADDRESS, with SEALPOST_PASSPHRASE set");
    }
    auto db = store::Database::open(argv[1], base::SecureString(passphrase), store::OpenMode::MustExist);
    if (!db) {
        return failWith(db.error().detail);
    }
    const base::FixedClock clock(utc(2026, 6, 1, 0));
    auto identities = store::IdentityStore(*db, clock).forAddress(argv[2]);
    if (!identities || identities->empty()) {
        return failWith("no identity for the address");
    }
    store::RenewalRecord record;
    record.identityId = identities->front().id;
    record.directoryUrl = "https://ca.example/directory";
    record.caHasAri = true;
    record.ariCertId = "fixture.certid";
    record.ariWindow = store::AriWindowTimes{utc(2026, 7, 1, 0), utc(2026, 7, 3, 0)};
    record.renewAt = utc(2026, 7, 2, 0);
    record.nextCheck = utc(2026, 6, 1, 6);
    record.ariCheckedAt = utc(2026, 6, 1, 0);
    record.ariExplanationUrl = "https://ca.example/why";
    store::AcmeStore acme(*db, clock);
    if (auto saved = acme.saveRenewal(record); !saved) {
        return failWith(saved.error().detail);
    }
    for (int i = 0; i < 2; ++i) {
        if (auto failed = acme.recordFailure(record.identityId, store::AcmeStep::Order, "rateLimited: too many orders");
            !failed) {
            return failWith(failed.error().detail);
        }
    }
    return 0;
}
