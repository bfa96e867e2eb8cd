#pragma once

#include "base/Result.h"
#include "crypto/Certificate.h"
#include "crypto/Identity.h"
#include "store/Database.h"

#include <vector>

namespace sealpost::engine {

// What opening mail with a profile needs: every own key (current ones first, then retired ones, so
// old mail stays readable) and the trust anchors (the profile's, plus the system's if asked).
struct ProfileMaterial {
    std::vector<crypto::Identity> identities;
    std::vector<crypto::Certificate> trustAnchors;
};

enum class SystemAnchors { Include, Exclude };

[[nodiscard]] base::Result<ProfileMaterial> loadProfileMaterial(store::Database& db, SystemAnchors system);

} // namespace sealpost::engine
