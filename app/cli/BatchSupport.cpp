#include "BatchSupport.h"

#include "Interrupt.h"
#include "crypto/CertificateChain.h"
#include "directory/DirectoryLookup.h"
#include "store/Settings.h"
#include "store/TrustStore.h"

namespace sealpost::cli {

base::Result<store::Account> batchAccount(store::Database& db, const std::optional<std::string>& named) {
    store::AccountStore accounts(db);
    if (named) {
        return accounts.find(*named);
    }
    auto all = accounts.list();
    if (!all) {
        return all.error();
    }
    if (all->size() == 1) {
        return all->front();
    }
    return base::makeError(base::ErrorCode::InvalidArgument,
                           all->empty() ? "no mail account in the profile (see account add)"
                                        : "the profile has several accounts; name one with --account");
}

base::Result<std::vector<crypto::Certificate>> batchValidationAnchors(store::Database& db) {
    auto anchors = store::TrustStore(db).list();
    if (!anchors) {
        return anchors.error();
    }
    auto system = crypto::loadSystemTrustAnchors();
    if (!system) {
        return system.error();
    }
    anchors->insert(anchors->end(), system->begin(), system->end());
    return anchors;
}

base::Result<std::optional<directory::DirectoryClient>> batchDirectoryClient(store::Database& db) {
    auto settings = store::loadDirectorySettings(db);
    if (!settings) {
        return settings.error();
    }
    if (!settings->url) {
        return std::optional<directory::DirectoryClient>(); // no directory configured: the profile's certificates only
    }
    auto options = directory::clientOptionsFrom(*settings);
    if (!options) {
        return options.error();
    }
    options->cancelled = [] { return interruptFlag().load(); };
    return std::optional<directory::DirectoryClient>(directory::DirectoryClient(std::move(*options)));
}

} // namespace sealpost::cli
