#include "engine/RecipientResolver.h"

namespace sealpost::engine {

std::string_view recipientSourceName(RecipientSource source) noexcept {
    switch (source) {
    case RecipientSource::Store: return "store";
    case RecipientSource::Directory: return "directory";
    case RecipientSource::None: return "none";
    }
    return "unknown";
}

base::Result<std::vector<ResolvedRecipient>> resolveRecipients(store::Database& db, const base::Clock& clock,
                                                               std::span<const std::string> addresses,
                                                               directory::DirectoryLookup* lookup,
                                                               const directory::LookupOptions& options) {
    store::CorrespondentStore correspondents(db, clock);
    const base::TimePoint now = clock.now();
    std::vector<ResolvedRecipient> out;
    std::vector<std::size_t> missing;
    for (const std::string& address : addresses) {
        auto selection = correspondents.selectForEncryption(address, now);
        if (!selection) {
            return selection.error();
        }
        ResolvedRecipient r;
        r.address = address;
        r.selection = std::move(*selection);
        if (r.selection.cert) {
            r.source = RecipientSource::Store;
        } else {
            missing.push_back(out.size());
        }
        out.push_back(std::move(r));
    }
    if (lookup == nullptr || missing.empty()) {
        return out;
    }
    std::vector<std::string> asked;
    asked.reserve(missing.size());
    for (const std::size_t i : missing) {
        asked.push_back(out[i].address);
    }
    auto looked = lookup->lookup(asked, options);
    if (!looked) {
        return looked.error();
    }
    for (std::size_t k = 0; k < missing.size(); ++k) {
        ResolvedRecipient& r = out[missing[k]];
        r.lookup = std::move((*looked)[k]);
        if (r.lookup->outcome != directory::LookupOutcome::Found) {
            continue;
        }
        auto selection = correspondents.selectForEncryption(r.address, now);
        if (!selection) {
            return selection.error();
        }
        r.selection = std::move(*selection);
        if (r.selection.cert) {
            r.source = RecipientSource::Directory;
        }
    }
    return out;
}

} // namespace sealpost::engine
