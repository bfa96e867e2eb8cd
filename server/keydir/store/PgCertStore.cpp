#include "keydir/store/PgCertStore.h"

#include "keydir/store/ConnectionPool.h"
#include "keydir/store/DatabaseUrl.h"
#include "keydir/store/StoreFormat.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <libpq-fe.h>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace sealpost::keydir {
namespace {

using base::ErrorCode;
using base::makeError;

constexpr std::size_t kBulkBatch = 10000;                // putMany entries per transaction
constexpr std::size_t kCopyChunk = std::size_t{1} << 20; // bytes handed to libpq per PQputCopyData
constexpr const char* kConnectTimeoutSeconds = "10";     // unless the URI says otherwise
// Held while creating or migrating the schema, so that instances starting together take turns.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(6009316396166509428)"; // "Sealpost" in ASCII

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

struct Prepared {
    const char* name;
    std::string sql;
};

// Prepared on every connection. Parameters are sent as text (bytea as binary), results come
// back in binary.
const std::array<Prepared, 5>& preparedStatements() {
    static const std::array<Prepared, 5> statements = {{
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

struct ResultDeleter {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

void ignoreNotice(void* /*arg*/, const char* /*message*/) {} // no printing from a library

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

ErrorCode codeForState(std::string_view state) {
    const std::string_view stateClass = state.substr(0, 2);
    if (stateClass == "08" || state == "57P01" || state == "57P02" || state == "57P03") {
        return ErrorCode::Unreachable; // connection exceptions, server shutting down
    }
    if (stateClass == "40" || stateClass == "53" || state == "55P03" || state == "57014") {
        return ErrorCode::TemporaryFailure; // serialization, resources, lock timeout, cancelled
    }
    if (stateClass == "28") {
        return ErrorCode::AuthFailed;
    }
    return ErrorCode::Io;
}

struct Connection {
    PGconn* conn = nullptr;
    bool prepared = false;
    bool loadTablesReady = false;

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;
    ~Connection() { PQfinish(conn); }

    [[nodiscard]] base::Error error(const PGresult* result, std::string_view context) const {
        std::string detail(context);
        detail += ": ";
        if (PQstatus(conn) != CONNECTION_OK) {
            return makeError(ErrorCode::Unreachable,
                             detail + "lost the connection to PostgreSQL: " + trimmed(PQerrorMessage(conn)));
        }
        const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
        detail += trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn));
        if (state != nullptr) {
            detail += " (SQLSTATE " + std::string(state) + ")";
        }
        return makeError(state != nullptr ? codeForState(state) : ErrorCode::Io, std::move(detail));
    }

    // PQexec for statements without parameters (several may be separated by ';').
    base::Result<PgResult> exec(const char* sql, std::string_view context) {
        PgResult result(PQexec(conn, sql));
        const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            return error(result.get(), context);
        }
        return result;
    }
};

// Parameters for PQexecPrepared: text values, bytea as binary.
class Params {
public:
    void text(std::string value) {
        m_storage.push_back(std::move(value));
        m_binary.push_back(0);
    }
    void bytes(base::ByteView value) {
        m_storage.emplace_back(base::asString(value));
        m_binary.push_back(1);
    }
    void integer(std::int64_t value) { text(std::to_string(value)); }

    base::Result<PgResult> run(Connection& connection, const char* name, std::string_view context) const {
        std::vector<const char*> values;
        std::vector<int> lengths;
        for (const auto& value : m_storage) {
            values.push_back(value.data());
            lengths.push_back(static_cast<int>(value.size()));
        }
        PgResult result(PQexecPrepared(connection.conn, name, static_cast<int>(values.size()), values.data(),
                                       lengths.data(), m_binary.data(), 1));
        if (!result || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
            return connection.error(result.get(), context);
        }
        return result;
    }

private:
    std::vector<std::string> m_storage;
    std::vector<int> m_binary;
};

// A PostgreSQL array literal of text values: {"a","b"}.
std::string textArray(std::span<const std::string> values) {
    std::string out = "{";
    for (const auto& value : values) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (const char c : value) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::int64_t binaryInt64(const PGresult* result, int row, int column) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
        value = (value << 8) | data[i];
    }
    return static_cast<std::int64_t>(value);
}

std::string binaryText(const PGresult* result, int row, int column) {
    return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
}

base::Bytes binaryBytes(const PGresult* result, int row, int column) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    return {data, data + PQgetlength(result, row, column)};
}

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

// Rolls back unless committed.
class Transaction {
public:
    static base::Result<Transaction> begin(Connection& connection) {
        if (auto begun = connection.exec("BEGIN", "begin"); !begun) {
            return begun.error();
        }
        return Transaction(connection);
    }
    Transaction(Transaction&& other) noexcept : m_connection(std::exchange(other.m_connection, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (m_connection != nullptr && PQstatus(m_connection->conn) == CONNECTION_OK) {
            (void)m_connection->exec("ROLLBACK", "rollback");
        }
    }
    base::Result<void> commit() {
        auto done = m_connection->exec("COMMIT", "commit");
        if (!done) {
            return done.error();
        }
        m_connection = nullptr;
        return {};
    }

private:
    explicit Transaction(Connection& connection) : m_connection(&connection) {}
    Connection* m_connection;
};

base::Result<void> migrate(Connection& connection) {
    auto transaction = Transaction::begin(connection);
    if (!transaction) {
        return transaction.error();
    }
    if (auto locked = connection.exec(kSchemaLock, "lock schema"); !locked) {
        return locked.error();
    }
    if (auto created = connection.exec("CREATE TABLE IF NOT EXISTS keydir_schema (version bigint NOT NULL)",
                                       "create keydir_schema");
        !created) {
        return created.error();
    }
    auto current = connection.exec("SELECT max(version) FROM keydir_schema", "read schema version");
    if (!current) {
        return current.error();
    }
    const PGresult* row = current->get();
    const std::int64_t version = PQgetisnull(row, 0, 0) != 0 ? 0 : std::stoll(PQgetvalue(row, 0, 0));
    if (version > PgCertStore::kSchemaVersion) {
        return makeError(ErrorCode::Unsupported, "database schema version " + std::to_string(version) +
                                                     " is newer than this program's " +
                                                     std::to_string(PgCertStore::kSchemaVersion));
    }
    if (version == PgCertStore::kSchemaVersion) {
        return transaction->commit();
    }
    for (std::int64_t next = version; next < PgCertStore::kSchemaVersion; ++next) {
        if (auto done = connection.exec(kMigrations.at(static_cast<std::size_t>(next)), "migrate"); !done) {
            return done.error();
        }
    }
    const std::string record = "DELETE FROM keydir_schema; INSERT INTO keydir_schema (version) VALUES (" +
                               std::to_string(PgCertStore::kSchemaVersion) + ")";
    if (auto done = connection.exec(record.c_str(), "record schema version"); !done) {
        return done.error();
    }
    return transaction->commit();
}

base::Result<std::unique_ptr<Connection>> connect(const std::string& uri) {
    const std::string redacted = detail::redactPassword(uri);
    char* parseError = nullptr;
    PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parseError);
    if (options == nullptr) {
        std::string detail = "invalid PostgreSQL URL " + redacted + ": " + trimmed(parseError);
        PQfreemem(parseError);
        return makeError(ErrorCode::InvalidArgument, detail::scrubPassword(detail, uri));
    }
    PQconninfoFree(options);
    // Our defaults first: values in the URI (expanded from dbname) override them.
    const std::array<const char*, 4> keywords = {"connect_timeout", "application_name", "dbname", nullptr};
    const std::array<const char*, 4> values = {kConnectTimeoutSeconds, "sealpost-keydir", uri.c_str(), nullptr};
    auto connection = std::make_unique<Connection>();
    connection->conn = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (connection->conn == nullptr) {
        return makeError(ErrorCode::Io, "out of memory connecting to PostgreSQL");
    }
    PQsetNoticeProcessor(connection->conn, ignoreNotice, nullptr);
    if (PQstatus(connection->conn) != CONNECTION_OK) {
        const std::string message = trimmed(PQerrorMessage(connection->conn));
        ErrorCode code = ErrorCode::Unreachable;
        if (message.find("password") != std::string::npos || message.find("authentication") != std::string::npos) {
            code = ErrorCode::AuthFailed;
        } else if (message.find("does not exist") != std::string::npos) {
            code = ErrorCode::NotFound;
        }
        return makeError(code, detail::scrubPassword("cannot connect to " + redacted + ": " + message, uri));
    }
    return connection;
}

// Makes a leased connection usable: reconnects a broken one, prepares the statements.
base::Result<void> ready(Connection& connection) {
    if (PQstatus(connection.conn) != CONNECTION_OK) {
        PQreset(connection.conn);
        connection.prepared = false;
        connection.loadTablesReady = false;
        if (PQstatus(connection.conn) != CONNECTION_OK) {
            return makeError(ErrorCode::Unreachable,
                             "cannot reconnect to PostgreSQL: " + trimmed(PQerrorMessage(connection.conn)));
        }
    }
    if (!connection.prepared) {
        for (const auto& statement : preparedStatements()) {
            PgResult result(PQprepare(connection.conn, statement.name, statement.sql.c_str(), 0, nullptr));
            if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
                return connection.error(result.get(), std::string("prepare ") + statement.name);
            }
        }
        connection.prepared = true;
    }
    return {};
}

// Binary COPY rows (PostgreSQL's "PGCOPY" format): big-endian lengths, raw values.
class CopyWriter {
public:
    explicit CopyWriter(Connection& connection) : m_connection(connection) {
        static constexpr char kSignature[] = "PGCOPY\n\377\r\n"; // plus its terminating NUL: 11 bytes
        m_buffer.append(kSignature, sizeof kSignature);
        int32(0); // flags
        int32(0); // header extension length
    }
    void row(std::int16_t fields) { int16(fields); }
    void text(std::string_view value) { bytes(base::asBytes(value)); }
    void bytes(base::ByteView value) {
        int32(static_cast<std::int32_t>(value.size()));
        m_buffer.append(base::asString(value));
    }
    void integer(std::int64_t value) {
        int32(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            m_buffer.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> shift) & 0xff));
        }
    }
    // Hands full chunks to libpq; call after every row.
    base::Result<void> flushIfFull() { return m_buffer.size() >= kCopyChunk ? flush() : base::Result<void>(); }
    base::Result<void> finish(std::string_view context) {
        int16(-1);
        if (auto flushed = flush(); !flushed) {
            return flushed;
        }
        if (PQputCopyEnd(m_connection.conn, nullptr) != 1) {
            return m_connection.error(nullptr, context);
        }
        PgResult result(PQgetResult(m_connection.conn));
        const bool ok = result && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
        auto failure = ok ? base::Result<void>() : base::Result<void>(m_connection.error(result.get(), context));
        while (PgResult(PQgetResult(m_connection.conn))) { // drain until libpq is idle again
        }
        return failure;
    }

private:
    void int16(std::int16_t value) {
        m_buffer.push_back(static_cast<char>((static_cast<std::uint16_t>(value) >> 8) & 0xff));
        m_buffer.push_back(static_cast<char>(static_cast<std::uint16_t>(value) & 0xff));
    }
    void int32(std::int32_t value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            m_buffer.push_back(static_cast<char>((static_cast<std::uint32_t>(value) >> shift) & 0xff));
        }
    }
    base::Result<void> flush() {
        if (!m_buffer.empty() &&
            PQputCopyData(m_connection.conn, m_buffer.data(), static_cast<int>(m_buffer.size())) != 1) {
            return m_connection.error(nullptr, "copy");
        }
        m_buffer.clear();
        return {};
    }

    Connection& m_connection;
    std::string m_buffer;
};

base::Result<void> startCopy(Connection& connection, const char* sql) {
    PgResult result(PQexec(connection.conn, sql));
    if (!result || PQresultStatus(result.get()) != PGRES_COPY_IN) {
        return connection.error(result.get(), "start copy");
    }
    return {};
}

// Loads one batch into the connection's temporary tables (emptied at commit).
base::Result<void> copyBatch(Connection& connection, std::span<const CertStore::BulkEntry> batch, std::int64_t now) {
    if (auto started = startCopy(connection, "COPY keydir_load_certs FROM STDIN (FORMAT binary)"); !started) {
        return started;
    }
    CopyWriter certs(connection);
    std::int64_t ordinal = 0;
    for (const auto& entry : batch) {
        certs.row(8);
        certs.integer(ordinal++);
        certs.text(entry.cert.fingerprint);
        certs.bytes(entry.cert.leafDer);
        certs.bytes(detail::encodeChain(entry.cert.chainDer));
        certs.integer(entry.cert.notBefore);
        certs.integer(entry.cert.notAfter);
        certs.text(entry.cert.provenance);
        certs.integer(now);
        if (auto flushed = certs.flushIfFull(); !flushed) {
            return flushed;
        }
    }
    if (auto done = certs.finish("copy certificates"); !done) {
        return done;
    }
    if (auto started = startCopy(connection, "COPY keydir_load_addresses FROM STDIN (FORMAT binary)"); !started) {
        return started;
    }
    CopyWriter addresses(connection);
    for (const auto& entry : batch) {
        for (const auto& hash : entry.addressHashes) {
            addresses.row(2);
            addresses.text(hash);
            addresses.text(entry.cert.fingerprint);
        }
        if (auto flushed = addresses.flushIfFull(); !flushed) {
            return flushed;
        }
    }
    return addresses.finish("copy addresses");
}

// Applies one batch in one transaction. Counts entries as put() would have, one after another:
// an entry is Inserted when it brought its certificate first, or an address pair first.
base::Result<std::int64_t> loadBatch(Connection& connection, std::span<const CertStore::BulkEntry> batch,
                                     std::int64_t now) {
    if (!connection.loadTablesReady) {
        auto created = connection.exec(
            "CREATE TEMPORARY TABLE IF NOT EXISTS keydir_load_certs (ordinal bigint, fingerprint text, leaf bytea, "
            "chain bytea, not_before bigint, not_after bigint, provenance text, first_published bigint) "
            "ON COMMIT DELETE ROWS;"
            "CREATE TEMPORARY TABLE IF NOT EXISTS keydir_load_addresses (address_hash text, fingerprint text) "
            "ON COMMIT DELETE ROWS",
            "create load tables");
        if (!created) {
            return created.error();
        }
        connection.loadTablesReady = true;
    }
    auto transaction = Transaction::begin(connection);
    if (!transaction) {
        return transaction.error();
    }
    if (auto copied = copyBatch(connection, batch, now); !copied) {
        return copied.error();
    }
    // Sorted inserts: concurrent loaders lock rows in the same order and cannot deadlock.
    auto newCerts = connection.exec(
        "INSERT INTO certs (fingerprint, leaf, chain, not_before, not_after, provenance, first_published) "
        "SELECT DISTINCT ON (fingerprint) fingerprint, leaf, chain, not_before, not_after, provenance, "
        "first_published FROM keydir_load_certs ORDER BY fingerprint, ordinal "
        "ON CONFLICT DO NOTHING RETURNING fingerprint",
        "insert certificates");
    if (!newCerts) {
        return newCerts.error();
    }
    auto newAddresses = connection.exec("INSERT INTO addresses (address_hash, fingerprint) "
                                        "SELECT DISTINCT address_hash, fingerprint FROM keydir_load_addresses "
                                        "ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING address_hash, fingerprint",
                                        "insert addresses");
    if (!newAddresses) {
        return newAddresses.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    std::unordered_set<std::string> certs;
    for (int row = 0; row < PQntuples(newCerts->get()); ++row) {
        certs.insert(PQgetvalue(newCerts->get(), row, 0));
    }
    std::unordered_set<std::string> pairs;
    for (int row = 0; row < PQntuples(newAddresses->get()); ++row) {
        pairs.insert(std::string(PQgetvalue(newAddresses->get(), row, 0)) + PQgetvalue(newAddresses->get(), row, 1));
    }
    std::int64_t inserted = 0;
    for (const auto& entry : batch) {
        bool fresh = certs.erase(entry.cert.fingerprint) > 0;
        for (const auto& hash : entry.addressHashes) {
            fresh = pairs.erase(hash + entry.cert.fingerprint) > 0 || fresh;
        }
        inserted += fresh ? 1 : 0;
    }
    return inserted;
}

} // namespace

struct PgCertStore::Impl {
    detail::ConnectionPool<Connection> pool;

    explicit Impl(std::vector<std::unique_ptr<Connection>> connections) : pool(std::move(connections)) {}

    // A ready connection, or why there is none.
    base::Result<detail::ConnectionPool<Connection>::Lease> lease() {
        auto connection = pool.acquire();
        if (auto usable = ready(*connection); !usable) {
            return usable.error();
        }
        return connection;
    }

    // Runs a prepared statement on a pooled connection. A connection the server dropped while it
    // sat in the pool (restart, idle timeout, failover) fails on first use: the statement then
    // runs once more on it, reconnected. Every statement run this way is idempotent; a put whose
    // commit got through just before the connection broke answers Unchanged on the second run.
    base::Result<PgResult> run(const Params& params, const char* name, std::string_view context) {
        auto connection = lease();
        if (!connection) {
            return connection.error();
        }
        auto result = params.run(**connection, name, context);
        if (result.ok() || PQstatus((*connection)->conn) == CONNECTION_OK) {
            return result;
        }
        if (auto usable = ready(**connection); !usable) {
            return usable.error();
        }
        return params.run(**connection, name, context);
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
        auto connection = connect(text);
        if (!connection) {
            return connection.error();
        }
        if (i == 0) {
            if (auto migrated = migrate(**connection); !migrated) {
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
    auto result = (*connection)->exec("SELECT max(version) FROM keydir_schema", "read schema version");
    if (!result) {
        return result.error();
    }
    return PQgetisnull(result->get(), 0, 0) != 0 ? 0 : std::stoll(PQgetvalue(result->get(), 0, 0));
}

} // namespace sealpost::keydir
