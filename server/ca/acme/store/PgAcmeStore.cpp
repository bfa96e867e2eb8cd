#include "ca/acme/store/PgAcmeStore.h"

#include "ca/acme/store/StoreEncoding.h"
#include "db/ConnectionPool.h"
#include "db/PgConnection.h"
#include "db/PgSchema.h"

#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sealpost::ca::acme {
namespace {

using base::ErrorCode;
using base::makeError;
using db::binaryBytes;
using db::binaryInt64;
using db::binaryText;
using db::changedRows;
using db::Connection;
using db::Params;
using db::PgResult;
using db::Transaction;
using encoding::joinLines;
using encoding::packChain;
using encoding::splitLines;
using encoding::unpackChain;
using Pool = db::ConnectionPool<Connection>;

// Held while creating or migrating the schema, so that processes starting together take turns.
constexpr std::int64_t kSchemaLockKey = 6009316395375086917; // "SealACME" in ASCII

// Forward-only migrations: entry i takes acme_schema.version i to i + 1 (db::Schema). `seq` keeps
// insertion order where the SQLite store uses its rowid. Identifiers compare with ASCII case
// folding (lower() under the "C" collation), as SQLite's NOCASE does.
constexpr std::array<const char*, PgAcmeStore::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE acme_accounts (
    id text PRIMARY KEY,
    jwk text NOT NULL,
    thumbprint text NOT NULL UNIQUE,
    status bigint NOT NULL,
    contact text NOT NULL,
    terms_agreed boolean NOT NULL,
    created_at bigint NOT NULL
);
CREATE TABLE acme_orders (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES acme_accounts (id),
    status bigint NOT NULL,
    identifiers text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    replaces text NOT NULL,
    certificate_id text NOT NULL,
    error text NOT NULL
);
CREATE INDEX acme_orders_by_account ON acme_orders (account_id, created_at, seq);
CREATE INDEX acme_orders_by_replaces ON acme_orders (replaces) WHERE replaces <> '';
CREATE TABLE acme_authzs (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES acme_orders (id),
    identifier text NOT NULL,
    status bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX acme_authzs_by_order ON acme_authzs (order_id, seq);
CREATE INDEX acme_authzs_by_identifier ON acme_authzs (lower(identifier COLLATE "C"));
CREATE TABLE acme_challenges (
    id text PRIMARY KEY,
    authz_id text NOT NULL UNIQUE REFERENCES acme_authzs (id),
    status bigint NOT NULL,
    token_part1 text NOT NULL UNIQUE,
    token_part2 text NOT NULL,
    message_id text NOT NULL,
    sent_at bigint NOT NULL,
    reply bigint NOT NULL,
    client_ready boolean NOT NULL,
    validated_at bigint NOT NULL,
    error text NOT NULL
);
CREATE TABLE acme_certificates (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES acme_accounts (id),
    order_id text NOT NULL REFERENCES acme_orders (id),
    leaf bytea NOT NULL,
    chain bytea NOT NULL,
    serial text NOT NULL,
    cert_id text NOT NULL UNIQUE,
    fingerprint text NOT NULL UNIQUE,
    not_before bigint NOT NULL,
    not_after bigint NOT NULL,
    issued_at bigint NOT NULL,
    revoked_at bigint,
    revocation_reason bigint NOT NULL,
    replaced_by text NOT NULL
);
)sql",
};

std::string select(const char* columns, const char* table, const char* where) {
    return std::string("SELECT ") + columns + " FROM " + table + " WHERE " + where;
}

constexpr const char* kAccountColumns = "id, jwk, thumbprint, status, contact, terms_agreed, created_at";
constexpr const char* kOrderColumns =
    "id, account_id, status, identifiers, created_at, expires_at, replaces, certificate_id, error";
constexpr const char* kAuthzColumns = "id, order_id, identifier, status, expires_at";
constexpr const char* kChallengeColumns = "id, authz_id, status, token_part1, token_part2, message_id, sent_at, reply, "
                                          "client_ready, validated_at, error";
constexpr const char* kCertificateColumns = "id, account_id, order_id, leaf, chain, serial, cert_id, fingerprint, "
                                            "not_before, not_after, issued_at, revoked_at, revocation_reason, "
                                            "replaced_by";

// Prepared on every connection. Parameters go as text (bytea as binary), results come back in
// binary; the casts fix each parameter's type.
const std::vector<db::PreparedStatement>& preparedStatements() {
    static const std::vector<db::PreparedStatement> statements = {
        {"acme_schema_version", "SELECT coalesce(max(version), 0) FROM acme_schema"},
        {"acme_insert_account", "INSERT INTO acme_accounts (id, jwk, thumbprint, status, contact, terms_agreed, "
                                "created_at) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::text, "
                                "$6::boolean, $7::bigint) ON CONFLICT DO NOTHING"},
        {"acme_account", select(kAccountColumns, "acme_accounts", "id = $1::text")},
        {"acme_account_by_thumbprint", select(kAccountColumns, "acme_accounts", "thumbprint = $1::text")},
        {"acme_update_account", "UPDATE acme_accounts SET status = $2::bigint, contact = $3::text, "
                                "terms_agreed = $4::boolean WHERE id = $1::text"},
        // The NOT EXISTS answers the common case; the UNIQUE thumbprint catches a concurrent one.
        {"acme_change_key", "UPDATE acme_accounts SET jwk = $2::text, thumbprint = $3::text WHERE id = $1::text "
                            "AND NOT EXISTS (SELECT 1 FROM acme_accounts WHERE thumbprint = $3::text "
                            "AND id <> $1::text)"},
        // Serialises orders replacing the same certificate (across processes too).
        {"acme_lock_replaces", "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 4711729917101174892))"},
        {"acme_live_replacement", "SELECT count(*) FROM acme_orders WHERE replaces = $1::text AND "
                                  "(status IN ($2::bigint, $3::bigint) OR "
                                  "(status IN ($4::bigint, $5::bigint) AND expires_at > $6::bigint))"},
        {"acme_insert_order", "INSERT INTO acme_orders (id, account_id, status, identifiers, created_at, expires_at, "
                              "replaces, certificate_id, error) VALUES ($1::text, $2::text, $3::bigint, $4::text, "
                              "$5::bigint, $6::bigint, $7::text, $8::text, $9::text)"},
        {"acme_insert_authz", "INSERT INTO acme_authzs (id, order_id, identifier, status, expires_at) "
                              "VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint)"},
        {"acme_insert_challenge", "INSERT INTO acme_challenges (id, authz_id, status, token_part1, token_part2, "
                                  "message_id, sent_at, reply, client_ready, validated_at, error) VALUES ($1::text, "
                                  "$2::text, $3::bigint, $4::text, $5::text, $6::text, $7::bigint, $8::bigint, "
                                  "$9::boolean, $10::bigint, $11::text)"},
        {"acme_order", select(kOrderColumns, "acme_orders", "id = $1::text")},
        {"acme_order_ids_of_account",
         "SELECT id FROM acme_orders WHERE account_id = $1::text ORDER BY created_at, seq"},
        {"acme_order_times_of_account", "SELECT created_at FROM acme_orders WHERE account_id = $1::text AND "
                                        "created_at >= $2::bigint ORDER BY created_at"},
        {"acme_order_times_of_identifier",
         "SELECT o.created_at FROM acme_authzs a JOIN acme_orders o ON o.id = a.order_id "
         "WHERE lower(a.identifier COLLATE \"C\") = lower($1::text COLLATE \"C\") AND o.created_at >= $2::bigint "
         "ORDER BY o.created_at"},
        {"acme_update_order", "UPDATE acme_orders SET status = $2::bigint, certificate_id = $3::text, error = $4::text "
                              "WHERE id = $1::text"},
        {"acme_authz", select(kAuthzColumns, "acme_authzs", "id = $1::text")},
        {"acme_authzs_of_order", select(kAuthzColumns, "acme_authzs", "order_id = $1::text ORDER BY seq")},
        {"acme_update_authz", "UPDATE acme_authzs SET status = $2::bigint WHERE id = $1::text"},
        {"acme_challenge", select(kChallengeColumns, "acme_challenges", "id = $1::text")},
        {"acme_challenge_of_authz", select(kChallengeColumns, "acme_challenges", "authz_id = $1::text")},
        {"acme_challenge_by_token", select(kChallengeColumns, "acme_challenges", "token_part1 = $1::text")},
        {"acme_update_challenge", "UPDATE acme_challenges SET status = $2::bigint, reply = $3::bigint, "
                                  "client_ready = $4::boolean, validated_at = $5::bigint, error = $6::text "
                                  "WHERE id = $1::text"},
        {"acme_insert_certificate",
         "INSERT INTO acme_certificates (id, account_id, order_id, leaf, chain, serial, cert_id, fingerprint, "
         "not_before, not_after, issued_at, revoked_at, revocation_reason, replaced_by) VALUES ($1::text, $2::text, "
         "$3::text, $4::bytea, $5::bytea, $6::text, $7::text, $8::text, $9::bigint, $10::bigint, $11::bigint, "
         "$12::bigint, $13::bigint, $14::text)"},
        {"acme_mark_replaced", "UPDATE acme_certificates SET replaced_by = $2::text WHERE cert_id = $1::text"},
        {"acme_certificate", select(kCertificateColumns, "acme_certificates", "id = $1::text")},
        {"acme_certificate_by_cert_id", select(kCertificateColumns, "acme_certificates", "cert_id = $1::text")},
        {"acme_certificate_by_fingerprint", select(kCertificateColumns, "acme_certificates", "fingerprint = $1::text")},
        {"acme_revoke", "UPDATE acme_certificates SET revoked_at = $2::bigint, revocation_reason = $3::bigint "
                        "WHERE id = $1::text AND revoked_at IS NULL"},
    };
    return statements;
}

template <typename Enum> std::int64_t fromEnum(Enum value) {
    return static_cast<std::int64_t>(value);
}

// One row of a binary result.
class Row {
public:
    Row(const PGresult* result, int row) : m_result(result), m_row(row) {}
    [[nodiscard]] std::string text(int column) const { return binaryText(m_result, m_row, column); }
    [[nodiscard]] std::int64_t integer(int column) const { return binaryInt64(m_result, m_row, column); }
    [[nodiscard]] bool boolean(int column) const { return *PQgetvalue(m_result, m_row, column) != 0; }
    [[nodiscard]] base::Bytes bytes(int column) const { return binaryBytes(m_result, m_row, column); }
    [[nodiscard]] bool isNull(int column) const { return PQgetisnull(m_result, m_row, column) != 0; }
    template <typename Enum> [[nodiscard]] Enum enumAt(int column) const { return static_cast<Enum>(integer(column)); }

private:
    const PGresult* m_result;
    int m_row;
};

AccountRecord readAccount(const Row& r) {
    return {r.text(0),    r.text(1),   r.text(2), r.enumAt<AccountStatus>(3), splitLines(r.text(4)),
            r.boolean(5), r.integer(6)};
}

OrderRecord readOrder(const Row& r) {
    return {
        r.text(0), r.text(1), r.enumAt<OrderStatus>(2), splitLines(r.text(3)), r.integer(4), r.integer(5), r.text(6),
        r.text(7), r.text(8)};
}

AuthzRecord readAuthz(const Row& r) {
    return {r.text(0), r.text(1), r.text(2), r.enumAt<AuthzStatus>(3), r.integer(4)};
}

ChallengeRecord readChallenge(const Row& r) {
    return {r.text(0), r.text(1),    r.enumAt<ChallengeStatus>(2), r.text(3),    r.text(4),
            r.text(5), r.integer(6), r.enumAt<ReplyState>(7),      r.boolean(8), r.integer(9),
            r.text(10)};
}

CertificateRecord readCertificate(const Row& r) {
    CertificateRecord c;
    c.id = r.text(0);
    c.accountId = r.text(1);
    c.orderId = r.text(2);
    c.leafDer = r.bytes(3);
    c.chainDer = unpackChain(r.bytes(4));
    c.serialHex = r.text(5);
    c.certId = r.text(6);
    c.fingerprint = r.text(7);
    c.notBefore = r.integer(8);
    c.notAfter = r.integer(9);
    c.issuedAt = r.integer(10);
    if (!r.isNull(11)) {
        c.revokedAt = r.integer(11);
    }
    c.revocationReason = static_cast<int>(r.integer(12));
    c.replacedBy = r.text(13);
    return c;
}

Params orderUpdate(const OrderRecord& order) {
    Params params;
    params.text(order.id).integer(fromEnum(order.status)).text(order.certificateId).text(order.errorJson);
    return params;
}

Params authzUpdate(const AuthzRecord& authz) {
    Params params;
    params.text(authz.id).integer(fromEnum(authz.status));
    return params;
}

constexpr db::Schema kSchema = {"acme_schema", kSchemaLockKey, kMigrations};

// A leased connection inside a transaction. Members are destroyed in reverse: the transaction
// rolls back (unless committed) before the connection goes back to the pool.
struct Work {
    Pool::Lease lease;
    Transaction transaction;

    [[nodiscard]] base::Result<PgResult> run(const Params& params, const char* name, std::string_view context) const {
        return params.run(*lease, name, context);
    }
    [[nodiscard]] base::Result<void> runAll(std::initializer_list<std::pair<const Params*, const char*>> steps) const {
        for (const auto& [params, name] : steps) {
            if (auto done = params->run(*lease, name, name); !done) {
                return done.error();
            }
        }
        return {};
    }
};

} // namespace

struct PgAcmeStore::Impl {
    Pool pool;

    explicit Impl(std::vector<std::unique_ptr<Connection>> connections) : pool(std::move(connections)) {}

    // A ready connection, or why there is none.
    base::Result<Pool::Lease> lease() {
        auto connection = pool.acquire();
        if (auto usable = connection->ready(preparedStatements()); !usable) {
            return usable.error();
        }
        return connection;
    }

    // A query, run once more when the server had dropped its pooled connection.
    base::Result<PgResult> query(const Params& params, const char* name) {
        auto connection = lease();
        if (!connection) {
            return connection.error();
        }
        return params.runIdempotent(**connection, preparedStatements(), name, name);
    }

    // A transaction for a change. Only its BEGIN is retried on a dropped connection (nothing has
    // happened yet); a failure after that is the caller's error, never run twice.
    base::Result<Work> begin() {
        auto connection = lease();
        if (!connection) {
            return connection.error();
        }
        if (auto transaction = Transaction::begin(**connection); transaction) {
            return Work{std::move(*connection), std::move(*transaction)};
        } else if (PQstatus((*connection)->conn) == CONNECTION_OK) {
            return transaction.error();
        }
        if (auto usable = (*connection)->ready(preparedStatements()); !usable) {
            return usable.error();
        }
        auto transaction = Transaction::begin(**connection);
        if (!transaction) {
            return transaction.error();
        }
        return Work{std::move(*connection), std::move(*transaction)};
    }

    // One change in its own transaction; the number of rows it changed.
    base::Result<std::int64_t> change(const Params& params, const char* name) {
        auto work = begin();
        if (!work) {
            return work.error();
        }
        auto result = work->run(params, name, name);
        if (!result) {
            return result.error();
        }
        const std::int64_t changed = changedRows(result->get());
        if (auto committed = work->transaction.commit(); !committed) {
            return committed.error();
        }
        return changed;
    }

    template <typename Record, typename Reader>
    base::Result<std::optional<Record>> one(const char* name, std::string_view key, Reader reader) {
        Params params;
        params.text(std::string(key));
        auto result = query(params, name);
        if (!result) {
            return result.error();
        }
        if (PQntuples(result->get()) == 0) {
            return std::optional<Record>();
        }
        return std::optional<Record>(reader(Row(result->get(), 0)));
    }

    template <typename Value, typename Reader>
    base::Result<std::vector<Value>> all(const Params& params, const char* name, Reader reader) {
        auto result = query(params, name);
        if (!result) {
            return result.error();
        }
        std::vector<Value> out;
        const int rows = PQntuples(result->get());
        out.reserve(static_cast<std::size_t>(rows));
        for (int row = 0; row < rows; ++row) {
            out.push_back(reader(Row(result->get(), row)));
        }
        return out;
    }

    static Params liveReplacementQuery(std::string_view certId, std::int64_t now) {
        Params params;
        params.text(std::string(certId))
            .integer(fromEnum(OrderStatus::Valid))
            .integer(fromEnum(OrderStatus::Processing))
            .integer(fromEnum(OrderStatus::Pending))
            .integer(fromEnum(OrderStatus::Ready))
            .integer(now);
        return params;
    }
};

PgAcmeStore::PgAcmeStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
PgAcmeStore::~PgAcmeStore() = default;

base::Result<std::unique_ptr<PgAcmeStore>> PgAcmeStore::open(std::string_view uri, int poolSize) {
    if (poolSize < 1) {
        return makeError(ErrorCode::InvalidArgument, "pool size must be at least 1");
    }
    const std::string text(uri);
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < poolSize; ++i) {
        auto connection = db::connect(text, "sealpost-ca");
        if (!connection) {
            return connection.error();
        }
        if (i == 0) {
            if (auto migrated = db::migrate(**connection, kSchema); !migrated) {
                return migrated.error();
            }
        }
        connections.push_back(std::move(*connection));
    }
    return std::unique_ptr<PgAcmeStore>(new PgAcmeStore(std::make_unique<Impl>(std::move(connections))));
}

base::Result<std::int64_t> PgAcmeStore::schemaVersion() {
    auto result = m_impl->query(Params(), "acme_schema_version");
    if (!result) {
        return result.error();
    }
    return binaryInt64(result->get(), 0, 0);
}

base::Result<bool> PgAcmeStore::insertAccount(const AccountRecord& account) {
    Params params;
    params.text(account.id)
        .text(account.jwk)
        .text(account.thumbprint)
        .integer(fromEnum(account.status))
        .text(joinLines(account.contact))
        .integer(account.termsAgreed ? 1 : 0)
        .integer(account.createdAt);
    auto changed = m_impl->change(params, "acme_insert_account");
    if (!changed) {
        return changed.error();
    }
    return *changed == 1;
}

base::Result<std::optional<AccountRecord>> PgAcmeStore::findAccount(std::string_view id) {
    return m_impl->one<AccountRecord>("acme_account", id, readAccount);
}

base::Result<std::optional<AccountRecord>> PgAcmeStore::findAccountByThumbprint(std::string_view thumbprint) {
    return m_impl->one<AccountRecord>("acme_account_by_thumbprint", thumbprint, readAccount);
}

base::Result<void> PgAcmeStore::updateAccount(const AccountRecord& account) {
    Params params;
    params.text(account.id)
        .integer(fromEnum(account.status))
        .text(joinLines(account.contact))
        .integer(account.termsAgreed ? 1 : 0);
    if (auto changed = m_impl->change(params, "acme_update_account"); !changed) {
        return changed.error();
    }
    return {};
}

base::Result<KeyChangeOutcome> PgAcmeStore::changeAccountKey(std::string_view accountId, std::string_view jwk,
                                                             std::string_view thumbprint) {
    Params params;
    params.text(std::string(accountId)).text(std::string(jwk)).text(std::string(thumbprint));
    auto changed = m_impl->change(params, "acme_change_key");
    if (!changed) {
        // A unique violation: another account took that key between the check and the change.
        if (changed.error().code == ErrorCode::InvalidArgument) {
            return KeyChangeOutcome::KeyInUse;
        }
        return changed.error();
    }
    return *changed == 1 ? KeyChangeOutcome::Changed : KeyChangeOutcome::KeyInUse;
}

base::Result<CreateOrderOutcome> PgAcmeStore::createOrder(const OrderRecord& order,
                                                          std::span<const NewAuthorization> authzs, std::int64_t now) {
    auto work = m_impl->begin();
    if (!work) {
        return work.error();
    }
    if (!order.replaces.empty()) {
        Params lock;
        lock.text(order.replaces);
        if (auto locked = work->run(lock, "acme_lock_replaces", "lock the replaced certificate"); !locked) {
            return locked.error();
        }
        auto live = work->run(Impl::liveReplacementQuery(order.replaces, now), "acme_live_replacement",
                              "find a live replacement");
        if (!live) {
            return live.error();
        }
        if (binaryInt64(live->get(), 0, 0) > 0) {
            return CreateOrderOutcome::AlreadyReplaced;
        }
    }
    Params insert;
    insert.text(order.id)
        .text(order.accountId)
        .integer(fromEnum(order.status))
        .text(joinLines(order.identifiers))
        .integer(order.createdAt)
        .integer(order.expiresAt)
        .text(order.replaces)
        .text(order.certificateId)
        .text(order.errorJson);
    if (auto done = work->run(insert, "acme_insert_order", "insert order"); !done) {
        return done.error();
    }
    for (const NewAuthorization& entry : authzs) {
        Params authz;
        authz.text(entry.authz.id)
            .text(entry.authz.orderId)
            .text(entry.authz.identifier)
            .integer(fromEnum(entry.authz.status))
            .integer(entry.authz.expiresAt);
        const ChallengeRecord& c = entry.challenge;
        Params challenge;
        challenge.text(c.id)
            .text(c.authzId)
            .integer(fromEnum(c.status))
            .text(c.tokenPart1)
            .text(c.tokenPart2)
            .text(c.messageId)
            .integer(c.sentAt)
            .integer(fromEnum(c.reply))
            .integer(c.clientReady ? 1 : 0)
            .integer(c.validatedAt)
            .text(c.errorJson);
        if (auto done = work->runAll({{&authz, "acme_insert_authz"}, {&challenge, "acme_insert_challenge"}}); !done) {
            return done.error();
        }
    }
    if (auto committed = work->transaction.commit(); !committed) {
        return committed.error();
    }
    return CreateOrderOutcome::Created;
}

base::Result<bool> PgAcmeStore::hasLiveReplacement(std::string_view certId, std::int64_t now) {
    auto result = m_impl->query(Impl::liveReplacementQuery(certId, now), "acme_live_replacement");
    if (!result) {
        return result.error();
    }
    return binaryInt64(result->get(), 0, 0) > 0;
}

base::Result<std::optional<OrderRecord>> PgAcmeStore::findOrder(std::string_view id) {
    return m_impl->one<OrderRecord>("acme_order", id, readOrder);
}

base::Result<std::vector<std::string>> PgAcmeStore::orderIdsOfAccount(std::string_view accountId) {
    Params params;
    params.text(std::string(accountId));
    return m_impl->all<std::string>(params, "acme_order_ids_of_account", [](const Row& r) { return r.text(0); });
}

base::Result<std::vector<std::int64_t>> PgAcmeStore::orderTimesOfAccount(std::string_view accountId,
                                                                         std::int64_t since) {
    Params params;
    params.text(std::string(accountId)).integer(since);
    return m_impl->all<std::int64_t>(params, "acme_order_times_of_account", [](const Row& r) { return r.integer(0); });
}

base::Result<std::vector<std::int64_t>> PgAcmeStore::orderTimesOfIdentifier(std::string_view identifier,
                                                                            std::int64_t since) {
    Params params;
    params.text(std::string(identifier)).integer(since);
    return m_impl->all<std::int64_t>(params, "acme_order_times_of_identifier",
                                     [](const Row& r) { return r.integer(0); });
}

base::Result<void> PgAcmeStore::updateOrder(const OrderRecord& order) {
    if (auto changed = m_impl->change(orderUpdate(order), "acme_update_order"); !changed) {
        return changed.error();
    }
    return {};
}

base::Result<std::optional<AuthzRecord>> PgAcmeStore::findAuthz(std::string_view id) {
    return m_impl->one<AuthzRecord>("acme_authz", id, readAuthz);
}

base::Result<std::vector<AuthzRecord>> PgAcmeStore::authzsOfOrder(std::string_view orderId) {
    Params params;
    params.text(std::string(orderId));
    return m_impl->all<AuthzRecord>(params, "acme_authzs_of_order", readAuthz);
}

base::Result<std::optional<ChallengeRecord>> PgAcmeStore::findChallenge(std::string_view id) {
    return m_impl->one<ChallengeRecord>("acme_challenge", id, readChallenge);
}

base::Result<std::optional<ChallengeRecord>> PgAcmeStore::findChallengeOfAuthz(std::string_view authzId) {
    return m_impl->one<ChallengeRecord>("acme_challenge_of_authz", authzId, readChallenge);
}

base::Result<std::optional<ChallengeRecord>> PgAcmeStore::findChallengeByTokenPart1(std::string_view tokenPart1) {
    return m_impl->one<ChallengeRecord>("acme_challenge_by_token", tokenPart1, readChallenge);
}

base::Result<void> PgAcmeStore::saveValidation(const ChallengeRecord& challenge, const AuthzRecord& authz,
                                               const OrderRecord& order) {
    auto work = m_impl->begin();
    if (!work) {
        return work.error();
    }
    Params update;
    update.text(challenge.id)
        .integer(fromEnum(challenge.status))
        .integer(fromEnum(challenge.reply))
        .integer(challenge.clientReady ? 1 : 0)
        .integer(challenge.validatedAt)
        .text(challenge.errorJson);
    const Params authzParams = authzUpdate(authz);
    const Params orderParams = orderUpdate(order);
    if (auto done = work->runAll({{&update, "acme_update_challenge"},
                                  {&authzParams, "acme_update_authz"},
                                  {&orderParams, "acme_update_order"}});
        !done) {
        return done;
    }
    return work->transaction.commit();
}

base::Result<void> PgAcmeStore::saveAuthz(const AuthzRecord& authz, const OrderRecord& order) {
    auto work = m_impl->begin();
    if (!work) {
        return work.error();
    }
    const Params authzParams = authzUpdate(authz);
    const Params orderParams = orderUpdate(order);
    if (auto done = work->runAll({{&authzParams, "acme_update_authz"}, {&orderParams, "acme_update_order"}}); !done) {
        return done;
    }
    return work->transaction.commit();
}

base::Result<void> PgAcmeStore::storeCertificate(const CertificateRecord& c, const OrderRecord& order) {
    auto work = m_impl->begin();
    if (!work) {
        return work.error();
    }
    Params insert;
    insert.text(c.id)
        .text(c.accountId)
        .text(c.orderId)
        .bytes(c.leafDer)
        .bytes(packChain(c.chainDer))
        .text(c.serialHex)
        .text(c.certId)
        .text(c.fingerprint)
        .integer(c.notBefore)
        .integer(c.notAfter)
        .integer(c.issuedAt);
    if (c.revokedAt) {
        insert.integer(*c.revokedAt);
    } else {
        insert.null();
    }
    insert.integer(c.revocationReason).text(c.replacedBy);
    const Params orderParams = orderUpdate(order);
    if (auto done = work->runAll({{&insert, "acme_insert_certificate"}, {&orderParams, "acme_update_order"}}); !done) {
        return done;
    }
    if (!order.replaces.empty()) {
        Params replaced;
        replaced.text(order.replaces).text(order.id);
        if (auto done = work->run(replaced, "acme_mark_replaced", "mark the replaced certificate"); !done) {
            return done.error();
        }
    }
    return work->transaction.commit();
}

base::Result<std::optional<CertificateRecord>> PgAcmeStore::findCertificate(std::string_view id) {
    return m_impl->one<CertificateRecord>("acme_certificate", id, readCertificate);
}

base::Result<std::optional<CertificateRecord>> PgAcmeStore::findCertificateByCertId(std::string_view certId) {
    return m_impl->one<CertificateRecord>("acme_certificate_by_cert_id", certId, readCertificate);
}

base::Result<std::optional<CertificateRecord>> PgAcmeStore::findCertificateByFingerprint(std::string_view fingerprint) {
    return m_impl->one<CertificateRecord>("acme_certificate_by_fingerprint", fingerprint, readCertificate);
}

base::Result<RevokeOutcome> PgAcmeStore::revokeCertificate(std::string_view id, int reason, std::int64_t at) {
    Params params;
    params.text(std::string(id)).integer(at).integer(reason);
    auto changed = m_impl->change(params, "acme_revoke");
    if (!changed) {
        return changed.error();
    }
    return *changed == 1 ? RevokeOutcome::Revoked : RevokeOutcome::AlreadyRevoked;
}

} // namespace sealpost::ca::acme
