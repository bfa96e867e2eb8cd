#include "store/Schema.h"

#include "store/Database.h"

#include <array>

namespace sealpost::store {
namespace {

// The whole profile schema lives in this file. Conventions: times are Unix seconds (UTC);
// fingerprints are lowercase hex SHA-256 of the certificate DER; addresses are stored in the
// normalised form the caller looks them up by; enumerations are TEXT with a CHECK so a raw
// dump stays readable. Never edit a released step: add a new one.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE identities (
    id          INTEGER PRIMARY KEY,
    address     TEXT    NOT NULL,
    key_pkcs8   BLOB    NOT NULL,            -- the private key, PKCS#8 DER
    cert_der    BLOB    NOT NULL,
    chain_der   BLOB    NOT NULL DEFAULT x'', -- intermediates, concatenated DER, leaf-side first
    role        TEXT    NOT NULL CHECK (role IN ('signing', 'encryption', 'both')),
    state       TEXT    NOT NULL CHECK (state IN ('current', 'retired')), -- retired keys still decrypt
    created_at  INTEGER NOT NULL
);
CREATE INDEX identities_address ON identities (address);

CREATE TABLE correspondent_certs (
    id                        INTEGER PRIMARY KEY,
    address                   TEXT    NOT NULL,
    cert_der                  BLOB    NOT NULL,
    fingerprint               TEXT    NOT NULL UNIQUE,
    provenance_kind           TEXT    NOT NULL, -- e.g. harvested, directory, imported
    provenance_detail         TEXT    NOT NULL DEFAULT '',
    first_seen                INTEGER NOT NULL,
    last_seen                 INTEGER NOT NULL,
    signing_time              INTEGER,          -- of the message it was harvested from
    capabilities              TEXT,             -- SMIMECapabilities, as the crypto layer encodes them
    encryption_key_preference INTEGER           -- RFC 8551 2.5.3, NULL when absent
);
CREATE INDEX correspondent_certs_address ON correspondent_certs (address);

CREATE TABLE trust_anchors (
    fingerprint TEXT PRIMARY KEY,
    cert_der    BLOB NOT NULL
);

CREATE TABLE cert_events (
    id              INTEGER PRIMARY KEY,
    address         TEXT    NOT NULL,
    kind            TEXT    NOT NULL, -- e.g. first-seen, changed, expired
    old_fingerprint TEXT,
    new_fingerprint TEXT,
    at              INTEGER NOT NULL
);
CREATE INDEX cert_events_address ON cert_events (address);
)sql";

base::Result<void> applySchemaV1(Database& db) {
    return db.exec(kSchemaV1);
}

} // namespace

std::span<const Migration> profileMigrations() {
    static const std::array<Migration, 1> migrations{{
        {"initial schema", applySchemaV1},
    }};
    return migrations;
}

} // namespace sealpost::store
