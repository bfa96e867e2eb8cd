#include "ca/acme/store/SqliteAcmeStore.h"

#include "ca/acme/store/SqliteStatement.h"
#include "ca/acme/store/StoreEncoding.h"

#include <array>
#include <mutex>
#include <sqlcipher/sqlite3.h>
#include <utility>

namespace sealpost::ca::acme {
namespace {

using base::ErrorCode;
using base::makeError;
using encoding::joinLines;
using encoding::packChain;
using encoding::splitLines;
using encoding::unpackChain;
using sqlite::enumAt;
using sqlite::exec;
using sqlite::fromEnum;
using sqlite::sqliteError;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int kBusyTimeoutMs = 10000;

// Forward-only migrations: entry i takes user_version i to i + 1. Never edit a released entry.
constexpr std::array<const char*, SqliteAcmeStore::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    jwk TEXT NOT NULL,
    thumbprint TEXT NOT NULL UNIQUE,
    status INTEGER NOT NULL,
    contact TEXT NOT NULL,
    terms_agreed INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    status INTEGER NOT NULL,
    identifiers TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    replaces TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX orders_by_account ON orders (account_id, created_at);
CREATE INDEX orders_by_replaces ON orders (replaces) WHERE replaces <> '';
CREATE TABLE authzs (
    id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    identifier TEXT NOT NULL,
    status INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX authzs_by_order ON authzs (order_id);
CREATE INDEX authzs_by_identifier ON authzs (identifier COLLATE NOCASE);
CREATE TABLE challenges (
    id TEXT PRIMARY KEY NOT NULL,
    authz_id TEXT NOT NULL UNIQUE REFERENCES authzs (id),
    status INTEGER NOT NULL,
    token_part1 TEXT NOT NULL UNIQUE,
    token_part2 TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    reply INTEGER NOT NULL,
    client_ready INTEGER NOT NULL,
    validated_at INTEGER NOT NULL,
    error TEXT NOT NULL
);
CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    leaf BLOB NOT NULL,
    chain BLOB NOT NULL,
    serial TEXT NOT NULL,
    cert_id TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL UNIQUE,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revocation_reason INTEGER NOT NULL,
    replaced_by TEXT NOT NULL
);
)sql",
};

constexpr const char* kAccountColumns = "id, jwk, thumbprint, status, contact, terms_agreed, created_at";
AccountRecord readAccount(const Statement& s) {
    return {s.textAt(0),     s.textAt(1), s.textAt(2), enumAt<AccountStatus>(s, 3), splitLines(s.textAt(4)),
            s.intAt(5) != 0, s.intAt(6)};
}

constexpr const char* kOrderColumns =
    "id, account_id, status, identifiers, created_at, expires_at, replaces, certificate_id, error";
OrderRecord readOrder(const Statement& s) {
    return {s.textAt(0),
            s.textAt(1),
            enumAt<OrderStatus>(s, 2),
            splitLines(s.textAt(3)),
            s.intAt(4),
            s.intAt(5),
            s.textAt(6),
            s.textAt(7),
            s.textAt(8)};
}

constexpr const char* kAuthzColumns = "id, order_id, identifier, status, expires_at";
AuthzRecord readAuthz(const Statement& s) {
    return {s.textAt(0), s.textAt(1), s.textAt(2), enumAt<AuthzStatus>(s, 3), s.intAt(4)};
}

constexpr const char* kChallengeColumns = "id, authz_id, status, token_part1, token_part2, message_id, sent_at, reply, "
                                          "client_ready, validated_at, error";
ChallengeRecord readChallenge(const Statement& s) {
    return {s.textAt(0), s.textAt(1), enumAt<ChallengeStatus>(s, 2), s.textAt(3),     s.textAt(4),
            s.textAt(5), s.intAt(6),  enumAt<ReplyState>(s, 7),      s.intAt(8) != 0, s.intAt(9),
            s.textAt(10)};
}

constexpr const char* kCertificateColumns = "id, account_id, order_id, leaf, chain, serial, cert_id, fingerprint, "
                                            "not_before, not_after, issued_at, revoked_at, revocation_reason, "
                                            "replaced_by";
CertificateRecord readCertificate(const Statement& s) {
    CertificateRecord c;
    c.id = s.textAt(0);
    c.accountId = s.textAt(1);
    c.orderId = s.textAt(2);
    c.leafDer = s.blobAt(3);
    c.chainDer = unpackChain(s.blobAt(4));
    c.serialHex = s.textAt(5);
    c.certId = s.textAt(6);
    c.fingerprint = s.textAt(7);
    c.notBefore = s.intAt(8);
    c.notAfter = s.intAt(9);
    c.issuedAt = s.intAt(10);
    if (!s.isNull(11)) {
        c.revokedAt = s.intAt(11);
    }
    c.revocationReason = static_cast<int>(s.intAt(12));
    c.replacedBy = s.textAt(13);
    return c;
}

std::string selectFrom(const char* columns, const char* table, const char* where) {
    return std::string("SELECT ") + columns + " FROM " + table + " WHERE " + where;
}

} // namespace

struct SqliteAcmeStore::Impl {
    std::mutex mutex;
    sqlite3* db = nullptr;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    Impl(Impl&&) = delete;
    Impl& operator=(Impl&&) = delete;
    ~Impl() { sqlite3_close_v2(db); }

    // Runs a query with one text parameter and reads at most one row.
    template <typename Record, typename Reader>
    base::Result<std::optional<Record>> one(const std::string& sql, std::string_view key, Reader read) {
        const std::lock_guard lock(mutex);
        Statement statement(db, sql.c_str());
        statement.text(1, key);
        auto row = statement.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return std::optional<Record>();
        }
        return std::optional<Record>(read(statement));
    }

    base::Result<std::vector<std::int64_t>> times(const char* sql, std::string_view key, std::int64_t since) {
        const std::lock_guard lock(mutex);
        Statement statement(db, sql);
        statement.text(1, key).integer(2, since);
        std::vector<std::int64_t> out;
        while (true) {
            auto row = statement.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return out;
            }
            out.push_back(statement.intAt(0));
        }
    }

    // Callers hold the mutex.
    base::Result<bool> liveReplacement(std::string_view certId, std::int64_t now) {
        Statement replaced(db, "SELECT count(*) FROM orders WHERE replaces = ?1 AND (status IN (?2, ?3) OR "
                               "(status IN (?4, ?5) AND expires_at > ?6))");
        replaced.text(1, certId)
            .integer(2, fromEnum(OrderStatus::Valid))
            .integer(3, fromEnum(OrderStatus::Processing))
            .integer(4, fromEnum(OrderStatus::Pending))
            .integer(5, fromEnum(OrderStatus::Ready))
            .integer(6, now);
        auto row = replaced.step();
        if (!row) {
            return row.error();
        }
        return replaced.intAt(0) > 0;
    }
    base::Result<void> writeOrder(const OrderRecord& order) {
        Statement statement(db, "UPDATE orders SET status = ?2, certificate_id = ?3, error = ?4 WHERE id = ?1");
        statement.text(1, order.id)
            .integer(2, fromEnum(order.status))
            .text(3, order.certificateId)
            .text(4, order.errorJson);
        return statement.run();
    }
    base::Result<void> writeAuthz(const AuthzRecord& authz) {
        Statement statement(db, "UPDATE authzs SET status = ?2 WHERE id = ?1");
        statement.text(1, authz.id).integer(2, fromEnum(authz.status));
        return statement.run();
    }
    base::Result<void> insertAuthorization(const NewAuthorization& entry) {
        Statement authz(
            db, "INSERT INTO authzs (id, order_id, identifier, status, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)");
        authz.text(1, entry.authz.id)
            .text(2, entry.authz.orderId)
            .text(3, entry.authz.identifier)
            .integer(4, fromEnum(entry.authz.status))
            .integer(5, entry.authz.expiresAt);
        if (auto done = authz.run(); !done) {
            return done;
        }
        const ChallengeRecord& c = entry.challenge;
        Statement challenge(db, "INSERT INTO challenges (id, authz_id, status, token_part1, token_part2, message_id, "
                                "sent_at, reply, client_ready, validated_at, error) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        challenge.text(1, c.id)
            .text(2, c.authzId)
            .integer(3, fromEnum(c.status))
            .text(4, c.tokenPart1)
            .text(5, c.tokenPart2)
            .text(6, c.messageId)
            .integer(7, c.sentAt)
            .integer(8, fromEnum(c.reply))
            .integer(9, c.clientReady ? 1 : 0)
            .integer(10, c.validatedAt)
            .text(11, c.errorJson);
        return challenge.run();
    }
};

SqliteAcmeStore::SqliteAcmeStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SqliteAcmeStore::~SqliteAcmeStore() = default;

base::Result<std::unique_ptr<SqliteAcmeStore>> SqliteAcmeStore::open(const std::filesystem::path& file) {
    const std::string name = file.string();
    if (name.empty() || name == ":memory:" || name.starts_with("file:")) {
        return makeError(ErrorCode::InvalidArgument, "the ACME store needs a database file");
    }
    auto impl = std::make_unique<Impl>();
    if (const int rc = sqlite3_open_v2(name.c_str(), &impl->db,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        rc != SQLITE_OK) {
        return makeError(ErrorCode::Io, sqliteError(impl->db, rc, "cannot open " + name).detail);
    }
    sqlite3_busy_timeout(impl->db, kBusyTimeoutMs);
    sqlite3_extended_result_codes(impl->db, 1);
    if (auto wal = exec(impl->db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
                        "configure " + name);
        !wal) {
        return wal.error();
    }
    auto tx = Transaction::begin(impl->db);
    if (!tx) {
        return tx.error();
    }
    std::int64_t version = 0;
    {
        Statement statement(impl->db, "PRAGMA user_version");
        auto row = statement.step();
        if (!row) {
            return row.error();
        }
        version = statement.intAt(0);
    }
    if (version > kSchemaVersion) {
        return makeError(ErrorCode::Unsupported,
                         name + " has schema version " + std::to_string(version) + ", newer than this program's");
    }
    for (auto i = static_cast<std::size_t>(version); i < kMigrations.size(); ++i) {
        if (auto migrated = exec(impl->db, kMigrations.at(i), "migrate " + name); !migrated) {
            return migrated.error();
        }
    }
    if (version < kSchemaVersion) {
        const std::string pragma = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
        if (auto done = exec(impl->db, pragma.c_str(), "set schema version"); !done) {
            return done.error();
        }
    }
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return std::unique_ptr<SqliteAcmeStore>(new SqliteAcmeStore(std::move(impl)));
}

base::Result<std::int64_t> SqliteAcmeStore::schemaVersion() {
    const std::lock_guard lock(m_impl->mutex);
    Statement statement(m_impl->db, "PRAGMA user_version");
    auto row = statement.step();
    if (!row) {
        return row.error();
    }
    return statement.intAt(0);
}

base::Result<bool> SqliteAcmeStore::insertAccount(const AccountRecord& account) {
    const std::lock_guard lock(m_impl->mutex);
    Statement statement(m_impl->db,
                        "INSERT OR IGNORE INTO accounts (id, jwk, thumbprint, status, contact, terms_agreed, "
                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    statement.text(1, account.id)
        .text(2, account.jwk)
        .text(3, account.thumbprint)
        .integer(4, fromEnum(account.status))
        .text(5, joinLines(account.contact))
        .integer(6, account.termsAgreed ? 1 : 0)
        .integer(7, account.createdAt);
    if (auto done = statement.run(); !done) {
        return done.error();
    }
    return sqlite3_changes(m_impl->db) == 1;
}

base::Result<std::optional<AccountRecord>> SqliteAcmeStore::findAccount(std::string_view id) {
    return m_impl->one<AccountRecord>(selectFrom(kAccountColumns, "accounts", "id = ?1"), id, readAccount);
}

base::Result<std::optional<AccountRecord>> SqliteAcmeStore::findAccountByThumbprint(std::string_view thumbprint) {
    return m_impl->one<AccountRecord>(selectFrom(kAccountColumns, "accounts", "thumbprint = ?1"), thumbprint,
                                      readAccount);
}

base::Result<void> SqliteAcmeStore::updateAccount(const AccountRecord& account) {
    const std::lock_guard lock(m_impl->mutex);
    Statement statement(m_impl->db, "UPDATE accounts SET status = ?2, contact = ?3, terms_agreed = ?4 WHERE id = ?1");
    statement.text(1, account.id)
        .integer(2, fromEnum(account.status))
        .text(3, joinLines(account.contact))
        .integer(4, account.termsAgreed ? 1 : 0);
    return statement.run();
}

base::Result<KeyChangeOutcome> SqliteAcmeStore::changeAccountKey(std::string_view accountId, std::string_view jwk,
                                                                 std::string_view thumbprint) {
    const std::lock_guard lock(m_impl->mutex);
    // The UNIQUE thumbprint makes the check and the change one atomic statement.
    Statement statement(m_impl->db, "UPDATE OR IGNORE accounts SET jwk = ?2, thumbprint = ?3 WHERE id = ?1");
    statement.text(1, accountId).text(2, jwk).text(3, thumbprint);
    if (auto done = statement.run(); !done) {
        return done.error();
    }
    return sqlite3_changes(m_impl->db) == 1 ? KeyChangeOutcome::Changed : KeyChangeOutcome::KeyInUse;
}

base::Result<CreateOrderOutcome>
SqliteAcmeStore::createOrder(const OrderRecord& order, std::span<const NewAuthorization> authzs, std::int64_t now) {
    const std::lock_guard lock(m_impl->mutex);
    auto tx = Transaction::begin(m_impl->db);
    if (!tx) {
        return tx.error();
    }
    if (!order.replaces.empty()) {
        auto replaced = m_impl->liveReplacement(order.replaces, now);
        if (!replaced) {
            return replaced.error();
        }
        if (*replaced) {
            return CreateOrderOutcome::AlreadyReplaced;
        }
    }
    Statement insert(m_impl->db, "INSERT INTO orders (id, account_id, status, identifiers, created_at, expires_at, "
                                 "replaces, certificate_id, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert.text(1, order.id)
        .text(2, order.accountId)
        .integer(3, fromEnum(order.status))
        .text(4, joinLines(order.identifiers))
        .integer(5, order.createdAt)
        .integer(6, order.expiresAt)
        .text(7, order.replaces)
        .text(8, order.certificateId)
        .text(9, order.errorJson);
    if (auto done = insert.run(); !done) {
        return done.error();
    }
    for (const NewAuthorization& entry : authzs) {
        if (auto done = m_impl->insertAuthorization(entry); !done) {
            return done.error();
        }
    }
    if (auto committed = tx->commit(); !committed) {
        return committed.error();
    }
    return CreateOrderOutcome::Created;
}

base::Result<bool> SqliteAcmeStore::hasLiveReplacement(std::string_view certId, std::int64_t now) {
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->liveReplacement(certId, now);
}

base::Result<std::optional<OrderRecord>> SqliteAcmeStore::findOrder(std::string_view id) {
    return m_impl->one<OrderRecord>(selectFrom(kOrderColumns, "orders", "id = ?1"), id, readOrder);
}

base::Result<std::vector<std::string>> SqliteAcmeStore::orderIdsOfAccount(std::string_view accountId) {
    const std::lock_guard lock(m_impl->mutex);
    Statement statement(m_impl->db, "SELECT id FROM orders WHERE account_id = ?1 ORDER BY created_at, rowid");
    statement.text(1, accountId);
    std::vector<std::string> out;
    while (true) {
        auto row = statement.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(statement.textAt(0));
    }
}

base::Result<std::vector<std::int64_t>> SqliteAcmeStore::orderTimesOfAccount(std::string_view accountId,
                                                                             std::int64_t since) {
    return m_impl->times("SELECT created_at FROM orders WHERE account_id = ?1 AND created_at >= ?2 ORDER BY created_at",
                         accountId, since);
}

base::Result<std::vector<std::int64_t>> SqliteAcmeStore::orderTimesOfIdentifier(std::string_view identifier,
                                                                                std::int64_t since) {
    return m_impl->times("SELECT o.created_at FROM authzs a JOIN orders o ON o.id = a.order_id "
                         "WHERE a.identifier = ?1 COLLATE NOCASE AND o.created_at >= ?2 ORDER BY o.created_at",
                         identifier, since);
}

base::Result<void> SqliteAcmeStore::updateOrder(const OrderRecord& order) {
    const std::lock_guard lock(m_impl->mutex);
    return m_impl->writeOrder(order);
}

base::Result<std::optional<AuthzRecord>> SqliteAcmeStore::findAuthz(std::string_view id) {
    return m_impl->one<AuthzRecord>(selectFrom(kAuthzColumns, "authzs", "id = ?1"), id, readAuthz);
}

base::Result<std::vector<AuthzRecord>> SqliteAcmeStore::authzsOfOrder(std::string_view orderId) {
    const std::lock_guard lock(m_impl->mutex);
    const std::string sql = selectFrom(kAuthzColumns, "authzs", "order_id = ?1 ORDER BY rowid");
    Statement statement(m_impl->db, sql.c_str());
    statement.text(1, orderId);
    std::vector<AuthzRecord> out;
    while (true) {
        auto row = statement.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return out;
        }
        out.push_back(readAuthz(statement));
    }
}

base::Result<std::optional<ChallengeRecord>> SqliteAcmeStore::findChallenge(std::string_view id) {
    return m_impl->one<ChallengeRecord>(selectFrom(kChallengeColumns, "challenges", "id = ?1"), id, readChallenge);
}

base::Result<std::optional<ChallengeRecord>> SqliteAcmeStore::findChallengeOfAuthz(std::string_view authzId) {
    return m_impl->one<ChallengeRecord>(selectFrom(kChallengeColumns, "challenges", "authz_id = ?1"), authzId,
                                        readChallenge);
}

base::Result<std::optional<ChallengeRecord>> SqliteAcmeStore::findChallengeByTokenPart1(std::string_view tokenPart1) {
    return m_impl->one<ChallengeRecord>(selectFrom(kChallengeColumns, "challenges", "token_part1 = ?1"), tokenPart1,
                                        readChallenge);
}

base::Result<void> SqliteAcmeStore::saveValidation(const ChallengeRecord& challenge, const AuthzRecord& authz,
                                                   const OrderRecord& order) {
    const std::lock_guard lock(m_impl->mutex);
    auto tx = Transaction::begin(m_impl->db);
    if (!tx) {
        return tx.error();
    }
    Statement statement(m_impl->db, "UPDATE challenges SET status = ?2, reply = ?3, client_ready = ?4, "
                                    "validated_at = ?5, error = ?6 WHERE id = ?1");
    statement.text(1, challenge.id)
        .integer(2, fromEnum(challenge.status))
        .integer(3, fromEnum(challenge.reply))
        .integer(4, challenge.clientReady ? 1 : 0)
        .integer(5, challenge.validatedAt)
        .text(6, challenge.errorJson);
    if (auto done = statement.run(); !done) {
        return done;
    }
    if (auto done = m_impl->writeAuthz(authz); !done) {
        return done;
    }
    if (auto done = m_impl->writeOrder(order); !done) {
        return done;
    }
    return tx->commit();
}

base::Result<void> SqliteAcmeStore::saveAuthz(const AuthzRecord& authz, const OrderRecord& order) {
    const std::lock_guard lock(m_impl->mutex);
    auto tx = Transaction::begin(m_impl->db);
    if (!tx) {
        return tx.error();
    }
    if (auto done = m_impl->writeAuthz(authz); !done) {
        return done;
    }
    if (auto done = m_impl->writeOrder(order); !done) {
        return done;
    }
    return tx->commit();
}

base::Result<void> SqliteAcmeStore::storeCertificate(const CertificateRecord& c, const OrderRecord& order) {
    const std::lock_guard lock(m_impl->mutex);
    auto tx = Transaction::begin(m_impl->db);
    if (!tx) {
        return tx.error();
    }
    Statement insert(m_impl->db, "INSERT INTO certificates (id, account_id, order_id, leaf, chain, serial, cert_id, "
                                 "fingerprint, not_before, not_after, issued_at, revoked_at, revocation_reason, "
                                 "replaced_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    insert.text(1, c.id)
        .text(2, c.accountId)
        .text(3, c.orderId)
        .blob(4, c.leafDer)
        .blob(5, packChain(c.chainDer))
        .text(6, c.serialHex)
        .text(7, c.certId)
        .text(8, c.fingerprint)
        .integer(9, c.notBefore)
        .integer(10, c.notAfter)
        .integer(11, c.issuedAt);
    if (c.revokedAt) {
        insert.integer(12, *c.revokedAt);
    } else {
        insert.null(12);
    }
    insert.integer(13, c.revocationReason).text(14, c.replacedBy);
    if (auto done = insert.run(); !done) {
        return done;
    }
    if (auto done = m_impl->writeOrder(order); !done) {
        return done;
    }
    if (!order.replaces.empty()) {
        Statement replaced(m_impl->db, "UPDATE certificates SET replaced_by = ?2 WHERE cert_id = ?1");
        replaced.text(1, order.replaces).text(2, order.id);
        if (auto done = replaced.run(); !done) {
            return done;
        }
    }
    return tx->commit();
}

base::Result<std::optional<CertificateRecord>> SqliteAcmeStore::findCertificate(std::string_view id) {
    return m_impl->one<CertificateRecord>(selectFrom(kCertificateColumns, "certificates", "id = ?1"), id,
                                          readCertificate);
}

base::Result<std::optional<CertificateRecord>> SqliteAcmeStore::findCertificateByCertId(std::string_view certId) {
    return m_impl->one<CertificateRecord>(selectFrom(kCertificateColumns, "certificates", "cert_id = ?1"), certId,
                                          readCertificate);
}

base::Result<std::optional<CertificateRecord>>
SqliteAcmeStore::findCertificateByFingerprint(std::string_view fingerprint) {
    return m_impl->one<CertificateRecord>(selectFrom(kCertificateColumns, "certificates", "fingerprint = ?1"),
                                          fingerprint, readCertificate);
}

base::Result<RevokeOutcome> SqliteAcmeStore::revokeCertificate(std::string_view id, int reason, std::int64_t at) {
    const std::lock_guard lock(m_impl->mutex);
    Statement statement(m_impl->db, "UPDATE certificates SET revoked_at = ?2, revocation_reason = ?3 "
                                    "WHERE id = ?1 AND revoked_at IS NULL");
    statement.text(1, id).integer(2, at).integer(3, reason);
    if (auto done = statement.run(); !done) {
        return done.error();
    }
    return sqlite3_changes(m_impl->db) == 1 ? RevokeOutcome::Revoked : RevokeOutcome::AlreadyRevoked;
}

} // namespace sealpost::ca::acme
