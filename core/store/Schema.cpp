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

// v2: a certificate that names several addresses is filed under each of them (v1 had the
// fingerprint unique, so only the first address could find it). SQLite cannot drop a constraint:
// the table is rebuilt with the same columns in the same order.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE correspondent_certs_v2 (
    id                        INTEGER PRIMARY KEY,
    address                   TEXT    NOT NULL,
    cert_der                  BLOB    NOT NULL,
    fingerprint               TEXT    NOT NULL,
    provenance_kind           TEXT    NOT NULL,
    provenance_detail         TEXT    NOT NULL DEFAULT '',
    first_seen                INTEGER NOT NULL,
    last_seen                 INTEGER NOT NULL,
    signing_time              INTEGER,
    capabilities              TEXT,
    encryption_key_preference INTEGER,
    UNIQUE (address, fingerprint)
);
INSERT INTO correspondent_certs_v2 SELECT * FROM correspondent_certs;
DROP TABLE correspondent_certs;
ALTER TABLE correspondent_certs_v2 RENAME TO correspondent_certs;
CREATE INDEX correspondent_certs_address ON correspondent_certs (address);
CREATE INDEX correspondent_certs_fingerprint ON correspondent_certs (fingerprint);
)sql";

base::Result<void> applySchemaV2(Database& db) {
    return db.exec(kSchemaV2);
}

// v3: mail accounts, the offline cache of their folders and messages, and the outbox. Secrets
// (password, OAuth token) live only here, inside the encrypted file. Times are Unix seconds.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    address        TEXT    NOT NULL UNIQUE,   -- lower-cased addr-spec
    display_name   TEXT    NOT NULL DEFAULT '',
    imap_host      TEXT    NOT NULL,
    imap_port      INTEGER NOT NULL,
    imap_security  TEXT    NOT NULL,          -- 'tls' | 'starttls' | 'plain'
    smtp_host      TEXT    NOT NULL,
    smtp_port      INTEGER NOT NULL,
    smtp_security  TEXT    NOT NULL,
    username       TEXT    NOT NULL,
    auth_method    TEXT    NOT NULL DEFAULT 'plain', -- 'plain' | 'login' | 'xoauth2'
    secret         BLOB,                      -- password or OAuth token
    tls_pin_sha256 TEXT,                      -- hex SHA-256 of a server certificate trusted without a CA
    created        INTEGER NOT NULL
);

CREATE TABLE folders (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,          -- the server's mailbox name, as sent on the wire
    delimiter      TEXT,
    special_use    TEXT,                      -- 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | NULL
    uidvalidity    INTEGER,
    uidnext        INTEGER,
    last_sync      INTEGER,
    UNIQUE (account_id, name)
);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    folder_id      INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    uid            INTEGER NOT NULL,
    flags          TEXT    NOT NULL DEFAULT '', -- space-separated IMAP flags
    internal_date  INTEGER,
    size           INTEGER,
    message_id     TEXT,
    subject        TEXT,
    from_addr      TEXT,
    to_addrs       TEXT,
    date_header    TEXT,
    header         BLOB,                      -- the raw header block as fetched
    body           BLOB,                      -- the whole raw message once fetched, else NULL
    security       TEXT,                      -- what opening it found (JSON), once opened
    UNIQUE (folder_id, uid)
);
CREATE INDEX messages_message_id ON messages (message_id);

CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id     TEXT    NOT NULL UNIQUE,
    raw            BLOB    NOT NULL,
    envelope_from  TEXT    NOT NULL,
    envelope_to    TEXT    NOT NULL,          -- addresses, one per line
    state          TEXT    NOT NULL,          -- 'queued' | 'sending' | 'sent' | 'failed' | 'done'
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_attempt   INTEGER NOT NULL,
    last_error     TEXT,
    queued_at      INTEGER NOT NULL,
    sent_at        INTEGER
);
CREATE INDEX outbox_state ON outbox (state, next_attempt);
)sql";

base::Result<void> applySchemaV3(Database& db) {
    return db.exec(kSchemaV3);
}

// Outbox delivery guarantees (docs/mail.md): which process holds a message in 'sending', whether
// the end of its data may have reached the server, and how many attempts ended without knowing.
constexpr const char* kSchemaOutboxAttempts = R"sql(
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;                                 -- owner of a 'sending' row
ALTER TABLE outbox ADD COLUMN data_complete INTEGER NOT NULL DEFAULT 0;       -- 1: end of data may be sent
ALTER TABLE outbox ADD COLUMN unknown_outcomes INTEGER NOT NULL DEFAULT 0;    -- attempts with unknown outcome
)sql";

base::Result<void> applySchemaOutboxAttempts(Database& db) {
    return db.exec(kSchemaOutboxAttempts);
}

// v5: the public key directory (docs/directory-client.md): profile settings (its URL and whether
// harvested certificates are published), what lookups found (positive and negative, keyed by the
// address hash so a row names the address only once) and the queue of certificates to publish.
constexpr const char* kSchemaDirectory = R"sql(
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE directory_cache (
    address_hash TEXT    PRIMARY KEY,        -- lower-case hex SHA-256 of the normalised address
    address      TEXT    NOT NULL,
    fetched_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    found        INTEGER NOT NULL CHECK (found IN (0, 1)) -- 1: a usable certificate was stored
);

CREATE TABLE directory_uploads (
    id               INTEGER PRIMARY KEY,
    fingerprint      TEXT    NOT NULL UNIQUE, -- of the leaf
    chain_der        BLOB    NOT NULL,        -- leaf first, then intermediates, concatenated DER
    provenance       TEXT    NOT NULL CHECK (provenance IN ('harvested', 'self')),
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'done', 'rejected')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt     INTEGER NOT NULL,
    last_error       TEXT,
    rejection_reason TEXT,                    -- the directory's reason code, e.g. 'untrusted'
    queued_at        INTEGER NOT NULL
);
CREATE INDEX directory_uploads_due ON directory_uploads (state, next_attempt);
)sql";

base::Result<void> applySchemaDirectory(Database& db) {
    return db.exec(kSchemaDirectory);
}

// v6: ACME enrollment (docs/acme.md): the accounts (their keys live only inside the encrypted
// file) and the renewal state of each identity generation the CA issued, keyed by the identity's
// id. Failure steps are the engine's phases; a failure's message is technical detail, never a
// secret.
constexpr const char* kSchemaAcme = R"sql(
CREATE TABLE acme_accounts (
    id            INTEGER PRIMARY KEY,
    directory_url TEXT    NOT NULL,
    address       TEXT    NOT NULL,         -- the contact address, lower-cased
    account_url   TEXT    NOT NULL,         -- the account's URL, the JWS kid
    key_pkcs8     BLOB    NOT NULL,         -- the account's private key, PKCS#8 DER
    created_at    INTEGER NOT NULL,
    UNIQUE (directory_url, address)
);

CREATE TABLE acme_renewals (
    identity_id          INTEGER PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    directory_url        TEXT    NOT NULL,
    ca_has_ari           INTEGER NOT NULL DEFAULT 0 CHECK (ca_has_ari IN (0, 1)),
    ari_cert_id          TEXT,             -- RFC 9773 CertID; NULL when the certificate has no AKI
    next_check           INTEGER,          -- when to ask ARI again
    renew_at             INTEGER,          -- the time chosen in the ARI window
    ari_window_start     INTEGER,
    ari_window_end       INTEGER,
    ari_explanation_url  TEXT,
    ari_checked_at       INTEGER,
    failures             INTEGER NOT NULL DEFAULT 0, -- consecutive
    last_failure_at      INTEGER,
    last_failure_step    TEXT CHECK (last_failure_step IN
                             ('account', 'ari', 'order', 'challenge', 'finalize', 'download', 'store')),
    last_failure_message TEXT,
    last_success_at      INTEGER,
    replaced_by          INTEGER REFERENCES identities (id) ON DELETE SET NULL,
    CHECK ((ari_window_start IS NULL) = (ari_window_end IS NULL))
);
CREATE INDEX acme_renewals_replaced_by ON acme_renewals (replaced_by);
)sql";

base::Result<void> applySchemaAcme(Database& db) {
    return db.exec(kSchemaAcme);
}

// v7: transparent protection (docs/sending.md): a message may go out as several copies with the
// same Message-ID (the main one to To and Cc, one per Bcc recipient, each encrypted to its own
// recipients), and what is filed in Sent may differ from what went on the wire. SQLite cannot
// change a UNIQUE constraint in place, so the table is rebuilt; ids are kept.
constexpr const char* kSchemaOutboxCopies = R"sql(
CREATE TABLE outbox_v7 (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id       TEXT    NOT NULL,
    copy             TEXT    NOT NULL DEFAULT '', -- '' the main copy, 'bcc:ADDRESS' one Bcc recipient's
    raw              BLOB    NOT NULL,            -- what goes on the wire (a Bcc field is not transmitted)
    sent_copy        BLOB,                        -- what is filed in Sent; NULL: raw
    envelope_from    TEXT    NOT NULL,
    envelope_to      TEXT    NOT NULL,            -- addresses, one per line
    state            TEXT    NOT NULL,            -- see docs/mail.md
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt     INTEGER NOT NULL,
    last_error       TEXT,
    queued_at        INTEGER NOT NULL,
    sent_at          INTEGER,
    claimed_by       TEXT,
    data_complete    INTEGER NOT NULL DEFAULT 0,
    unknown_outcomes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (message_id, copy)
);
INSERT INTO outbox_v7 (id, account_id, message_id, copy, raw, sent_copy, envelope_from, envelope_to, state,
                       attempts, next_attempt, last_error, queued_at, sent_at, claimed_by, data_complete,
                       unknown_outcomes)
    SELECT id, account_id, message_id, '', raw, NULL, envelope_from, envelope_to, state, attempts, next_attempt,
           last_error, queued_at, sent_at, claimed_by, data_complete, unknown_outcomes FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v7 RENAME TO outbox;
CREATE INDEX outbox_state ON outbox (state, next_attempt);
)sql";

base::Result<void> applySchemaOutboxCopies(Database& db) {
    return db.exec(kSchemaOutboxCopies);
}

} // namespace

std::span<const Migration> profileMigrations() {
    static const std::array<Migration, 7> migrations{{
        {"initial schema", applySchemaV1},
        {"a certificate filed under every address it names", applySchemaV2},
        {"mail accounts, folder and message cache, outbox", applySchemaV3},
        {"outbox: claim owner, end-of-data marker, attempts with unknown outcome", applySchemaOutboxAttempts},
        {"directory: settings, lookup cache, upload queue", applySchemaDirectory},
        {"acme: accounts and the renewal state of each identity", applySchemaAcme},
        {"outbox: copies of one message (main, per Bcc recipient) and the copy filed in Sent", applySchemaOutboxCopies},
    }};
    return migrations;
}

} // namespace sealpost::store
