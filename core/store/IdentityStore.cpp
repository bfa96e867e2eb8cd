#include "store/IdentityStore.h"

#include "base/SecureBuffer.h"
#include "store/DirectoryUploadQueue.h"
#include "store/Statement.h"
#include "store/Transaction.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace sealpost::store {

namespace {

std::int64_t toSeconds(base::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

IdentityRole roleFromName(std::string_view name) {
    if (name == "signing") {
        return IdentityRole::Signing;
    }
    if (name == "encryption") {
        return IdentityRole::Encryption;
    }
    return IdentityRole::Both;
}

// The roles a new identity takes over from older ones of the same address.
std::string_view replacedRolesSql(IdentityRole role) {
    switch (role) {
    case IdentityRole::Signing: return "role IN ('signing', 'both')";
    case IdentityRole::Encryption: return "role IN ('encryption', 'both')";
    case IdentityRole::Both: return "1";
    }
    return "1";
}

base::Result<StoredIdentity> readRow(const Statement& s) {
    const std::int64_t id = s.columnInt64(0);
    base::Bytes key = s.columnBlob(2);
    auto parsedKey = crypto::PrivateKey::parse(key);
    base::secureWipe(key.data(), key.size());
    auto cert = crypto::Certificate::parseAll(s.columnBlob(3));
    auto chain = crypto::Certificate::parseConcatenatedDer(s.columnBlob(4));
    if (!parsedKey || !cert || !chain) {
        return base::makeError(base::ErrorCode::MalformedInput,
                               "a stored identity does not parse (id " + std::to_string(id) + ")");
    }
    return StoredIdentity{id,
                          s.columnText(1),
                          crypto::Identity{*parsedKey, cert->front(), *chain},
                          roleFromName(s.columnText(5)),
                          s.columnText(6) == "current" ? IdentityState::Current : IdentityState::Retired,
                          base::TimePoint(std::chrono::seconds(s.columnInt64(7)))};
}

constexpr std::string_view kColumns = "id, address, key_pkcs8, cert_der, chain_der, role, state, created_at";

base::Result<std::vector<StoredIdentity>> query(Database& db, const std::string& sql, std::string_view address) {
    auto s = Statement::prepare(db, sql);
    if (!s) {
        return s.error();
    }
    if (!address.empty()) {
        if (auto b = s->bindText(1, address); !b) {
            return b.error();
        }
    }
    std::vector<StoredIdentity> out;
    for (;;) {
        auto row = s->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        auto identity = readRow(*s);
        if (!identity) {
            return identity.error();
        }
        out.push_back(std::move(identity).value());
    }
}

} // namespace

std::string_view identityRoleName(IdentityRole role) noexcept {
    switch (role) {
    case IdentityRole::Signing: return "signing";
    case IdentityRole::Encryption: return "encryption";
    case IdentityRole::Both: return "both";
    }
    return "both";
}

std::string_view identityStateName(IdentityState state) noexcept {
    return state == IdentityState::Current ? "current" : "retired";
}

base::Result<std::int64_t> IdentityStore::add(const crypto::Identity& identity, IdentityRole role) {
    if (auto match = crypto::checkKeyMatchesCertificate(identity.key, identity.certificate); !match) {
        return match.error();
    }
    const auto addresses = identity.certificate.emailAddresses();
    if (addresses.empty()) {
        return base::makeError(base::ErrorCode::InvalidArgument, "the certificate names no e-mail address");
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return transaction.error();
    }
    const base::Bytes certDer = identity.certificate.der();
    auto existing = Statement::prepare(m_db, "SELECT id FROM identities WHERE cert_der = ? LIMIT 1");
    if (!existing) {
        return existing.error();
    }
    if (auto b = existing->bindBlob(1, certDer); !b) {
        return b.error();
    }
    auto row = existing->step();
    if (!row) {
        return row.error();
    }
    if (*row) {
        return existing->columnInt64(0); // already imported: nothing changes
    }
    auto key = identity.key.pkcs8Der();
    if (!key) {
        return key.error();
    }
    base::Bytes chainDer;
    for (const auto& c : identity.chain) {
        const base::Bytes der = c.der();
        chainDer.insert(chainDer.end(), der.begin(), der.end());
    }
    std::int64_t firstId = 0;
    for (const std::string& address : addresses) {
        auto retire = Statement::prepare(m_db, "UPDATE identities SET state = 'retired' WHERE address = ? AND state = "
                                               "'current' AND " +
                                                   std::string(replacedRolesSql(role)));
        auto insert = Statement::prepare(m_db, "INSERT INTO identities (address, key_pkcs8, cert_der, chain_der, role, "
                                               "state, created_at) VALUES (?, ?, ?, ?, ?, 'current', ?)");
        if (!retire || !insert) {
            base::secureWipe(key->data(), key->size());
            return !retire ? retire.error() : insert.error();
        }
        const bool bound = retire->bindText(1, address).ok() && insert->bindText(1, address).ok() &&
                           insert->bindBlob(2, *key).ok() && insert->bindBlob(3, certDer).ok() &&
                           insert->bindBlob(4, chainDer).ok() && insert->bindText(5, identityRoleName(role)).ok() &&
                           insert->bindInt64(6, toSeconds(m_clock.now())).ok();
        auto retired =
            bound ? retire->run()
                  : base::Result<void>(base::makeError(base::ErrorCode::InvalidArgument, "cannot bind the identity"));
        auto inserted = retired ? insert->run() : retired;
        if (!inserted) {
            base::secureWipe(key->data(), key->size());
            return inserted.error();
        }
        if (firstId == 0) {
            firstId = m_db.lastInsertId();
        }
    }
    base::secureWipe(key->data(), key->size());
    // Our own encryption certificate is what correspondents look up in the directory: it is queued
    // for publishing (docs/directory-client.md), uploaded whenever a directory is configured.
    if (role != IdentityRole::Signing) {
        auto queued = DirectoryUploadQueue(m_db).enqueue(identity.certificate, identity.chain, UploadProvenance::Self,
                                                         m_clock.now());
        if (!queued) {
            return queued.error();
        }
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return firstId;
}

base::Result<std::vector<StoredIdentity>> IdentityStore::list() {
    return query(m_db,
                 "SELECT " + std::string(kColumns) +
                     " FROM identities ORDER BY state = 'retired', created_at DESC, id DESC",
                 {});
}

base::Result<std::vector<StoredIdentity>> IdentityStore::forAddress(std::string_view address) {
    std::string lower(address);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return query(m_db,
                 "SELECT " + std::string(kColumns) +
                     " FROM identities WHERE address = ? ORDER BY state = 'retired', created_at DESC, id DESC",
                 lower);
}

base::Result<std::vector<StoredIdentity>> IdentityStore::withFingerprintPrefix(std::string_view prefix) {
    if (prefix.empty() ||
        !std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isxdigit(c); })) {
        return base::makeError(base::ErrorCode::InvalidArgument, "a fingerprint is hexadecimal");
    }
    std::string lower(prefix);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto all = list();
    if (!all) {
        return all.error();
    }
    std::vector<StoredIdentity> out;
    std::vector<std::string> seen;
    for (auto& identity : *all) {
        std::string fingerprint = identity.identity.certificate.sha256Fingerprint();
        if (fingerprint.rfind(lower, 0) != 0 || std::find(seen.begin(), seen.end(), fingerprint) != seen.end()) {
            continue;
        }
        seen.push_back(std::move(fingerprint));
        out.push_back(std::move(identity));
    }
    return out;
}

} // namespace sealpost::store
