#include "keydir/store/PgBulkLoad.h"

#include "keydir/store/StoreFormat.h"

#include <cstddef>
#include <string>
#include <unordered_set>

namespace sealpost::keydir::detail {
namespace {

using db::Connection;
using db::PgResult;
using db::Transaction;

constexpr std::size_t kCopyChunk = std::size_t{1} << 20; // bytes handed to libpq per PQputCopyData

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
        certs.bytes(encodeChain(entry.cert.chainDer));
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

} // namespace

base::Result<std::int64_t> loadBatch(Connection& connection, std::span<const CertStore::BulkEntry> batch,
                                     std::int64_t now) {
    if (!connection.sessionObjectsReady) {
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
        connection.sessionObjectsReady = true;
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

} // namespace sealpost::keydir::detail
