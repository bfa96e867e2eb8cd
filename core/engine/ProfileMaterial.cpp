#include "engine/ProfileMaterial.h"

#include "base/Clock.h"
#include "crypto/CertificateChain.h"
#include "store/IdentityStore.h"
#include "store/TrustStore.h"

#include <algorithm>

namespace sealpost::engine {

base::Result<ProfileMaterial> loadProfileMaterial(store::Database& db, SystemAnchors system) {
    ProfileMaterial material;
    const base::SystemClock clock; // the store stamps nothing on reads
    auto identities = store::IdentityStore(db, clock).list();
    if (!identities) {
        return identities.error();
    }
    for (auto& stored : *identities) {
        const bool seen =
            std::any_of(material.identities.begin(), material.identities.end(),
                        [&](const crypto::Identity& i) { return i.certificate == stored.identity.certificate; });
        if (!seen) { // an identity is listed once per address it names
            material.identities.push_back(std::move(stored.identity));
        }
    }
    auto anchors = store::TrustStore(db).list();
    if (!anchors) {
        return anchors.error();
    }
    material.trustAnchors = std::move(*anchors);
    if (system == SystemAnchors::Include) {
        auto systemAnchors = crypto::loadSystemTrustAnchors();
        if (!systemAnchors) {
            return systemAnchors.error();
        }
        material.trustAnchors.insert(material.trustAnchors.end(), systemAnchors->begin(), systemAnchors->end());
    }
    return material;
}

} // namespace sealpost::engine
