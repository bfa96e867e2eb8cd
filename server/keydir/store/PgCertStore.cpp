#include "keydir/store/PgCertStore.h"

#include "db/ConnectionPool.h"
#include "db/PgConnection.h"
#include "db/PgSchema.h"
#include "keydir/store/PgBulkLoad.h"
#include "keydir/store/StoreFormat.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>

namespace sealpost::keydir {
namespace {

using base::ErrorCode;
using base::makeError;
using db::binaryBytes;
using db::binaryInt64;
using db::binaryText;
using db::connect;
using db::Connection;
using db::Params;
using db::PgResult;
using db::textArray;
using db::Transaction;
using detail::loadBatch;

constexpr std::size_t kBulkBatch = 10000; // putMany entries per transaction
// Held while creating or migrating the schema, so that instances starting together take turns.
constexpr std::int64_t kSchemaLockKey = 6009316396166509428; // "Sealpost" in ASCII

// Forward-only migrations: entry i takes keydir_schema.version i to i + 1.
constexpr std::array<const char*, PgCertStore::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE IF NOT EXISTS certs (
    fingerprint text PRIMARY KEY,
    leaf bytea NOT NULL,
    chain bytea NOT NULL,
    not_before bigint NOT NULL,
    not_after bigint NOT NULL,
    provenance text NOT NULL,
    first_published bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS addresses (
    address_hash text NOT NULL,
    fingerprint text NOT NULL REFERENCES certs (fingerprint),
    PRIMARY KEY (address_hash, fingerprint)
);
)sql",
};

constexpr const char* kCertColumns =
    "c.fingerprint, c.leaf, c.chain, c.not_before, c.not_after, c.provenance, c.first_published";

// Prepared on every connection. Parameters are sent as text (bytea as binary), results come
// back in binary.
const std::array<db::PreparedStatement, 5>& preparedStatements() {
    static const std::array<db::PreparedStatement, 5> statements = {{
        // One statement (so one round trip and atomic without BEGIN): the certificate, then its
        // addresses; the count of rows actually inserted tells Inserted from Unchanged.
        {"keydir_put", "WITH new_cert AS ("
                       " INSERT INTO certs (fingerprint, leaf, chain, not_before, not_after, provenance, "
                       "first_published)"
                       " VALUES ($1::text, $2::bytea, $3::bytea, $4::bigint, $5::bigint, $6::text, $7::bigint)"
                       " ON CONFLICT DO NOTHING RETURNING 1),"
                       " new_addresses AS ("
                       " INSERT INTO addresses (address_hash, fingerprint)"
                       " SELECT DISTINCT h, $1::text FROM unnest($8::text[]) AS h ORDER BY 1"
                       " ON CONFLICT DO NOTHING RETURNING 1)"
                       " SELECT (SELECT count(*) FROM new_cert) + (SELECT count(*) FROM new_addresses)"},
        {"keydir_find", std::string("SELECT ") + kCertColumns +
                            " FROM addresses a JOIN certs c ON c.fingerprint = a.fingerprint"
                            " WHERE a.address_hash = $1::text AND c.not_before <= $2::bigint AND c.not_after > "
                            "$2::bigint ORDER BY c.not_before DESC, c.fingerprint"},
        {"keydir_find_many", std::string("SELECT a.address_hash, ") + kCertColumns +
                                 " FROM addresses a JOIN certs c ON c.fingerprint = a.fingerprint"
                                 " WHERE a.address_hash = ANY($1::text[]) AND c.not_before <= $2::bigint"
                                 " AND c.not_after > $2::bigint"
                                 " ORDER BY a.address_hash, c.not_before DESC, c.fingerprint"},
        {"keydir_count", "SELECT count(*) FROM certs"},
        {"keydir_ping", "SELECT 1"},
    }};
    return statements;
}

constexpr db::Schema kSchema = {"keydir_schema", kSchemaLockKey, kMigrations};

// The seven certificate columns starting at `first` (fingerprint, leaf, chain, not_before,
// not_after, provenance, first_published).
base::Result<StoredCert> readCert(const PGresult* result, int row, int first) {
    StoredCert cert;
    cert.fingerprint = binaryText(result, row, first);
    cert.leafDer = binaryBytes(result, row, first + 1);
    auto chain = detail::decodeChain(binaryBytes(result, row, first + 2));
    if (!chain) {
        return makeError(chain.error().code, chain.error().detail + " (certificate " + cert.fingerprint + ")");
    }
    cert.chainDer = std::move(*chain);
    cert.notBefore = binaryInt64(result, row, first + 3);
    cert.notAfter = binaryInt64(result, row, first + 4);
    cert.provenance = binaryText(result, row, first + 5);
    cert.firstPublished = binaryInt64(result, row, first + 6);
    return cert;
}

} // namespace

struct PgCertStore::Impl {
    db::ConnectionPool<Connection> pool;

    explicit Impl(std::vector<std::unique_ptr<Connection>> connections) : pool(std::move(connections)) {}

    // A ready connection, or why there is none.
    base::Result<db::ConnectionPool<Connection>::Lease> lease() {
        auto connection = pool.acquire();
        if (auto usable = connection->ready(preparedStatements()); !usable) {
            return usable.error();
        }
        return connection;
    }

    // Runs a prepared statement on a pooled connection, once more when the server had dropped it
    // (Params::runIdempotent). Every statement run this way is idempotent; a put whose commit got
    // through just before the connection broke answers Unchanged on the second run.
    base::Result<PgResult> run(const Params& params, const char* name, std::string_view context) {
        auto connection = lease();
        if (!connection) {
            return connection.error();
        }
        return params.runIdempotent(**connection, preparedStatements(), name, context);
    }
};

PgCertStore::PgCertStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
PgCertStore::~PgCertStore() = default;

base::Result<std::unique_ptr<PgCertStore>> PgCertStore::open(std::string_view uri, int poolSize) {
    if (poolSize < 1) {
        return makeError(ErrorCode::InvalidArgument, "pool size must be at least 1");
    }
    const std::string text(uri);
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < poolSize; ++i) {
        auto connection = connect(text, "sealpost-keydir");
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
    return std::unique_ptr<PgCertStore>(new PgCertStore(std::make_unique<Impl>(std::move(connections))));
}

base::Result<PutOutcome> PgCertStore::put(std::span<const std::string> addressHashes, const StoredCert& cert,
                                          std::int64_t now) {
    if (auto checked = detail::checkPut(addressHashes, cert); !checked) {
        return checked.error();
    }
    Params params;
    params.text(cert.fingerprint);
    params.bytes(cert.leafDer);
    params.bytes(detail::encodeChain(cert.chainDer));
    params.integer(cert.notBefore);
    params.integer(cert.notAfter);
    params.text(cert.provenance);
    params.integer(now);
    params.text(textArray(addressHashes));
    auto result = m_impl->run(params, "keydir_put", "put");
    if (!result) {
        return result.error();
    }
    return binaryInt64(result->get(), 0, 0) > 0 ? PutOutcome::Inserted : PutOutcome::Unchanged;
}

base::Result<std::int64_t> PgCertStore::putMany(std::span<const BulkEntry> entries, std::int64_t now) {
    for (const auto& entry : entries) {
        if (auto checked = detail::checkPut(entry.addressHashes, entry.cert); !checked) {
            return checked.error();
        }
    }
    auto connection = m_impl->lease();
    if (!connection) {
        return connection.error();
    }
    std::int64_t inserted = 0;
    for (std::size_t start = 0; start < entries.size(); start += kBulkBatch) {
        auto done = loadBatch(**connection, entries.subspan(start, std::min(kBulkBatch, entries.size() - start)), now);
        if (!done) {
            return done.error();
        }
        inserted += *done;
    }
    // Fresh statistics right away: plans made on the counts from before the load (an empty
    // table) would scan instead of using the indexes until autovacuum got round to it.
    if (inserted >= static_cast<std::int64_t>(kBulkBatch)) {
        if (auto analyzed = (*connection)->exec("ANALYZE certs; ANALYZE addresses", "analyze"); !analyzed) {
            return analyzed.error();
        }
    }
    return inserted;
}

base::Result<std::vector<StoredCert>> PgCertStore::find(std::string_view addressHash, std::int64_t now) {
    if (auto checked = detail::checkHash(addressHash); !checked) {
        return checked.error();
    }
    Params params;
    params.text(std::string(addressHash));
    params.integer(now);
    auto result = m_impl->run(params, "keydir_find", "find");
    if (!result) {
        return result.error();
    }
    std::vector<StoredCert> found;
    for (int row = 0; row < PQntuples(result->get()); ++row) {
        auto cert = readCert(result->get(), row, 0);
        if (!cert) {
            return cert.error();
        }
        found.push_back(std::move(*cert));
    }
    return found;
}

base::Result<std::vector<std::vector<StoredCert>>> PgCertStore::findMany(std::span<const std::string> addressHashes,
                                                                         std::int64_t now) {
    std::unordered_map<std::string, std::vector<std::size_t>> slots; // a hash may be asked for twice
    for (std::size_t i = 0; i < addressHashes.size(); ++i) {
        if (auto checked = detail::checkHash(addressHashes[i]); !checked) {
            return checked.error();
        }
        slots[addressHashes[i]].push_back(i);
    }
    std::vector<std::vector<StoredCert>> answers(addressHashes.size());
    if (addressHashes.empty()) {
        return answers;
    }
    Params params;
    params.text(textArray(addressHashes));
    params.integer(now);
    auto result = m_impl->run(params, "keydir_find_many", "find many");
    if (!result) {
        return result.error();
    }
    for (int row = 0; row < PQntuples(result->get()); ++row) {
        auto cert = readCert(result->get(), row, 1);
        if (!cert) {
            return cert.error();
        }
        const auto& targets = slots.at(binaryText(result->get(), row, 0));
        for (std::size_t t = 0; t + 1 < targets.size(); ++t) {
            answers[targets[t]].push_back(*cert);
        }
        answers[targets.back()].push_back(std::move(*cert));
    }
    return answers;
}

base::Result<std::int64_t> PgCertStore::countCertificates() {
    const Params params;
    auto result = m_impl->run(params, "keydir_count", "count certificates");
    if (!result) {
        return result.error();
    }
    return binaryInt64(result->get(), 0, 0);
}

base::Result<void> PgCertStore::ping() {
    const Params params;
    if (auto answered = m_impl->run(params, "keydir_ping", "ping"); !answered) {
        return answered.error();
    }
    return {};
}

base::Result<std::int64_t> PgCertStore::schemaVersion() {
    auto connection = m_impl->lease();
    if (!connection) {
        return connection.error();
    }
    return db::schemaVersion(**connection, kSchema.versionTable);
}

} // namespace sealpost::keydir
