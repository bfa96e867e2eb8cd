#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "crypto/CmsTypes.h"
#include "crypto/Identity.h"
#include "store/CorrespondentStore.h"
#include "store/Database.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealpost::engine {

// What will happen for one recipient, and why (the UI shows this per recipient before sending).
struct RecipientPlan {
    std::string address;
    store::Selection selection; // cert is nullopt when we cannot encrypt to this recipient
};

// The identities and certificates for protecting a message from `from` to `to`, chosen from the
// profile. Nothing is decided silently: every recipient has a reason code, and canEncrypt says
// whether every one of them can be encrypted to.
struct ProtectionPlan {
    std::optional<crypto::Identity> signer;           // current identity of `from` for signing
    std::optional<crypto::Certificate> ownEncryption; // current identity of `from` for encryption (the Sent copy)
    std::vector<RecipientPlan> recipients;
    bool canEncrypt = false; // every recipient has a certificate
    // AES-256-GCM when every recipient announced it, else AES-256-CBC (what NSS and gpgsm read).
    crypto::ContentCipher cipher = crypto::ContentCipher::Aes256Cbc;
};

// InvalidArgument for an empty or malformed address; store errors otherwise. A missing identity or
// certificate is not an error: it shows in the plan.
[[nodiscard]] base::Result<ProtectionPlan> planProtection(store::Database& db, const base::Clock& clock,
                                                          const std::string& from, std::span<const std::string> to);

} // namespace sealpost::engine
