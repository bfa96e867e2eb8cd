#include "engine/ProtectionPlan.h"

#include "crypto/CertificateChecks.h"
#include "store/IdentityStore.h"

#include <algorithm>

namespace sealpost::engine {

namespace {

bool covers(store::IdentityRole role, store::IdentityRole wanted) {
    return role == store::IdentityRole::Both || role == wanted;
}

// Current identities come first and newest first (IdentityStore::forAddress); the first that fits
// the role and is valid now wins.
const store::StoredIdentity* pick(const std::vector<store::StoredIdentity>& identities, store::IdentityRole role,
                                  base::TimePoint now) {
    for (const auto& i : identities) {
        if (i.state == store::IdentityState::Current && covers(i.role, role) &&
            crypto::isValidAt(i.identity.certificate, now)) {
            return &i;
        }
    }
    return nullptr;
}

} // namespace

base::Result<ProtectionPlan> planProtection(store::Database& db, const base::Clock& clock, const std::string& from,
                                            std::span<const std::string> to) {
    ProtectionPlan plan;
    const base::TimePoint now = clock.now();
    if (!from.empty()) {
        auto own = store::IdentityStore(db, clock).forAddress(from);
        if (!own) {
            return own.error();
        }
        if (const auto* s = pick(*own, store::IdentityRole::Signing, now)) {
            plan.signer = s->identity;
        }
        if (const auto* e = pick(*own, store::IdentityRole::Encryption, now)) {
            plan.ownEncryption = e->identity.certificate;
        }
    }
    store::CorrespondentStore correspondents(db, clock);
    bool allGcm = !to.empty();
    plan.canEncrypt = !to.empty();
    for (const std::string& address : to) {
        auto selection = correspondents.selectForEncryption(address, now);
        if (!selection) {
            return selection.error();
        }
        plan.canEncrypt = plan.canEncrypt && selection->cert.has_value();
        allGcm = allGcm && selection->cert.has_value() && crypto::isAuthenticated(selection->cipher);
        plan.recipients.push_back({address, std::move(*selection)});
    }
    plan.cipher = allGcm ? crypto::ContentCipher::Aes256Gcm : crypto::ContentCipher::Aes256Cbc;
    return plan;
}

} // namespace sealpost::engine
