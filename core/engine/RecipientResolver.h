#pragma once

#include "base/Clock.h"
#include "base/Result.h"
#include "directory/DirectoryLookup.h"
#include "store/CorrespondentStore.h"
#include "store/Database.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealpost::engine {

enum class RecipientSource {
    Store,     // the profile already had a usable certificate
    Directory, // looked up in the directory (cache or network) and stored
    None,      // no usable certificate anywhere: see the selection's reason and the lookup
};
[[nodiscard]] std::string_view recipientSourceName(RecipientSource source) noexcept; // "directory"

struct ResolvedRecipient {
    std::string address;
    RecipientSource source = RecipientSource::None;
    store::Selection selection;                     // the certificate to encrypt to, or why none
    std::optional<directory::AddressLookup> lookup; // when the directory was asked
};

// Finds a certificate for every recipient: the correspondent store first (selectForEncryption),
// then, for the rest and when `lookup` is given, the directory (its cache, then one batch over the
// network); what the directory yields is validated and stored, then selected like any other.
// Errors: the store failed, or an address is malformed (InvalidArgument). Directory problems are
// per recipient, in `lookup`.
[[nodiscard]] base::Result<std::vector<ResolvedRecipient>>
resolveRecipients(store::Database& db, const base::Clock& clock, std::span<const std::string> addresses,
                  directory::DirectoryLookup* lookup, const directory::LookupOptions& options);

} // namespace sealpost::engine
