#include "store/ProfileCheck.h"

#include "base/SecureBuffer.h"
#include "store/Database.h"
#include "store/Statement.h"

#include <array>
#include <memory>
#include <openssl/evp.h>
#include <string_view>

namespace sealpost::store {
namespace {

using base::ErrorCode;
using base::makeError;

struct Table {
    std::string_view name;
    std::string_view order; // a unique key, so the digest does not depend on the page layout
};
constexpr std::array<Table, 6> kTables{{
    {"identities", "id"},
    {"correspondent_certs", "id"},
    {"trust_anchors", "fingerprint"},
    {"cert_events", "id"},
    {"acme_accounts", "id"},
    {"acme_renewals", "identity_id"},
}};

struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Every value is framed (tag, length, bytes), so ("ab", "c") and ("a", "bc") hash differently.
void hashValue(EVP_MD_CTX* ctx, char tag, base::ByteView bytes) {
    const std::uint64_t size = bytes.size();
    std::array<unsigned char, 9> frame{static_cast<unsigned char>(tag)};
    for (std::size_t i = 0; i < 8; ++i) {
        frame.at(i + 1) = static_cast<unsigned char>(size >> (8 * (7 - i)));
    }
    EVP_DigestUpdate(ctx, frame.data(), frame.size());
    EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
}

base::Result<std::int64_t> digestTable(Database& db, EVP_MD_CTX* ctx, const Table& table) {
    auto rows =
        Statement::prepare(db, "SELECT * FROM " + std::string(table.name) + " ORDER BY " + std::string(table.order));
    if (!rows) {
        return rows.error();
    }
    hashValue(ctx, 'T', base::asBytes(table.name));
    std::int64_t count = 0;
    while (true) {
        auto row = rows->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return count;
        }
        ++count;
        hashValue(ctx, 'R', {});
        for (int c = 0; c < rows->columnCount(); ++c) {
            if (rows->columnIsNull(c)) {
                hashValue(ctx, 'N', {});
                continue;
            }
            base::Bytes value = rows->columnBlob(c); // may be a private key: wiped below
            hashValue(ctx, 'V', value);
            base::secureWipe(value.data(), value.size());
        }
    }
}

} // namespace

base::Result<ProfileCheckReport> checkProfile(Database& db) {
    ProfileCheckReport report;
    auto integrity = Statement::prepare(db, "PRAGMA integrity_check");
    if (!integrity) {
        return integrity.error();
    }
    while (true) {
        auto row = integrity->step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        if (std::string line = integrity->columnText(0); line != "ok") {
            report.problems.push_back(std::move(line));
        }
    }
    auto version = db.schemaVersion();
    if (!version) {
        return version.error();
    }
    report.schemaVersion = *version;

    const MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        return makeError(ErrorCode::CryptoFailure, "SHA-256 unavailable");
    }
    std::array<std::int64_t*, kTables.size()> counts{&report.identities,   &report.correspondentCertificates,
                                                     &report.trustAnchors, &report.certificateEvents,
                                                     &report.acmeAccounts, &report.renewalRecords};
    for (std::size_t i = 0; i < kTables.size(); ++i) {
        auto count = digestTable(db, ctx.get(), kTables.at(i));
        if (!count) {
            return count.error();
        }
        *counts.at(i) = *count;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md.data(), &length) != 1) {
        return makeError(ErrorCode::CryptoFailure, "SHA-256 failed");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
        report.contentSha256 += kHex.at(md.at(i) >> 4U);
        report.contentSha256 += kHex.at(md.at(i) & 0xFU);
    }
    return report;
}

} // namespace sealpost::store
