#include "keydir/store/CertStore.h"

#include "db/DatabaseUrl.h"
#include "keydir/store/PgCertStore.h"
#include "keydir/store/SqliteCertStore.h"

#include <filesystem>

namespace sealpost::keydir {

base::Result<std::unique_ptr<CertStore>> openCertStore(std::string_view url, int poolSize) {
    const db::DatabaseUrl parsed = db::parseDatabaseUrl(url);
    switch (parsed.kind) {
    case db::DatabaseKind::Postgres: {
        auto store = PgCertStore::open(parsed.target, poolSize);
        if (!store) {
            return store.error();
        }
        return std::unique_ptr<CertStore>(std::move(*store));
    }
    case db::DatabaseKind::Sqlite: {
        const std::u8string path(parsed.target.begin(), parsed.target.end());
        auto store = SqliteCertStore::open(std::filesystem::path(path), poolSize);
        if (!store) {
            return store.error();
        }
        return std::unique_ptr<CertStore>(std::move(*store));
    }
    case db::DatabaseKind::Unknown: break;
    }
    return base::makeError(base::ErrorCode::InvalidArgument,
                           "unknown database URL scheme (expected postgresql://, postgres://, sqlite: or a path): " +
                               db::redactPassword(url));
}

} // namespace sealpost::keydir
