#include "store/TrustStore.h"

#include "store/Statement.h"

namespace sealpost::store {

base::Result<bool> TrustStore::add(const crypto::Certificate& anchor) {
    auto insert = Statement::prepare(m_db, "INSERT OR IGNORE INTO trust_anchors (fingerprint, cert_der) VALUES (?, ?)");
    if (!insert) {
        return insert.error();
    }
    const base::Bytes der = anchor.der();
    if (auto b = insert->bindText(1, anchor.sha256Fingerprint()); !b) {
        return b.error();
    }
    if (auto b = insert->bindBlob(2, der); !b) {
        return b.error();
    }
    if (auto done = insert->run(); !done) {
        return done.error();
    }
    return m_db.changes() > 0;
}

base::Result<std::vector<crypto::Certificate>> TrustStore::list() {
    auto select = Statement::prepare(m_db, "SELECT cert_der FROM trust_anchors ORDER BY fingerprint");
    if (!select) {
        return select.error();
    }
    std::vector<crypto::Certificate> out;
    for (;;) {
        auto row = select->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        const base::Bytes der = select->columnBlob(0);
        auto certs = crypto::Certificate::parseAll(der);
        if (!certs) {
            return base::makeError(base::ErrorCode::MalformedInput,
                                   "a stored trust anchor does not parse: " + certs.error().detail);
        }
        out.push_back(certs->front());
    }
}

base::Result<bool> TrustStore::remove(std::string_view fingerprint) {
    auto del = Statement::prepare(m_db, "DELETE FROM trust_anchors WHERE fingerprint = ?");
    if (!del) {
        return del.error();
    }
    if (auto b = del->bindText(1, fingerprint); !b) {
        return b.error();
    }
    if (auto done = del->run(); !done) {
        return done.error();
    }
    return m_db.changes() > 0;
}

} // namespace sealpost::store
