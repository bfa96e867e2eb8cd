#pragma once
// An in-memory CertStore for the API's unit tests and the fuzz target: the interface's contract
// (tests/server/keydir/store holds the real back ends' suite) in a few maps, plus switches to
// make it fail like a database that went away.

#include "keydir/store/CertStore.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace sealpost::keydir::test {

class MemoryCertStore final : public CertStore {
public:
    base::Result<PutOutcome> put(std::span<const std::string> addressHashes, const StoredCert& cert,
                                 std::int64_t now) override {
        const std::lock_guard lock(m_mutex);
        if (m_down) {
            return down();
        }
        ++m_puts;
        bool inserted = false;
        auto [it, fresh] = m_certs.try_emplace(cert.fingerprint, cert);
        if (fresh) {
            it->second.firstPublished = now;
            inserted = true;
        }
        for (const std::string& hash : addressHashes) {
            inserted = m_filed[hash].insert(cert.fingerprint).second || inserted;
        }
        return inserted ? PutOutcome::Inserted : PutOutcome::Unchanged;
    }

    base::Result<std::int64_t> putMany(std::span<const BulkEntry> entries, std::int64_t now) override {
        std::int64_t inserted = 0;
        for (const BulkEntry& entry : entries) {
            auto outcome = put(entry.addressHashes, entry.cert, now);
            if (!outcome) {
                return outcome.error();
            }
            inserted += *outcome == PutOutcome::Inserted ? 1 : 0;
        }
        return inserted;
    }

    base::Result<std::vector<StoredCert>> find(std::string_view addressHash, std::int64_t now) override {
        const std::lock_guard lock(m_mutex);
        if (m_down) {
            return down();
        }
        ++m_finds;
        return findLocked(addressHash, now);
    }

    base::Result<std::vector<std::vector<StoredCert>>> findMany(std::span<const std::string> addressHashes,
                                                                std::int64_t now) override {
        const std::lock_guard lock(m_mutex);
        if (m_down) {
            return down();
        }
        ++m_finds;
        std::vector<std::vector<StoredCert>> out;
        for (const std::string& hash : addressHashes) {
            out.push_back(findLocked(hash, now));
        }
        return out;
    }

    base::Result<std::int64_t> countCertificates() override {
        const std::lock_guard lock(m_mutex);
        if (m_down) {
            return down();
        }
        return static_cast<std::int64_t>(m_certs.size());
    }

    base::Result<void> ping() override {
        const std::lock_guard lock(m_mutex);
        if (m_down) {
            return down();
        }
        return base::Ok{};
    }

    void setDown(bool down) {
        const std::lock_guard lock(m_mutex);
        m_down = down;
    }
    [[nodiscard]] int finds() const {
        const std::lock_guard lock(m_mutex);
        return m_finds;
    }
    [[nodiscard]] int puts() const {
        const std::lock_guard lock(m_mutex);
        return m_puts;
    }
    [[nodiscard]] std::int64_t firstPublished(const std::string& fingerprint) const {
        const std::lock_guard lock(m_mutex);
        const auto it = m_certs.find(fingerprint);
        return it == m_certs.end() ? -1 : it->second.firstPublished;
    }

private:
    static base::Error down() { return base::makeError(base::ErrorCode::Unreachable, "database is down"); }

    std::vector<StoredCert> findLocked(std::string_view addressHash, std::int64_t now) const {
        std::vector<StoredCert> out;
        const auto filed = m_filed.find(std::string(addressHash));
        if (filed == m_filed.end()) {
            return out;
        }
        for (const std::string& fingerprint : filed->second) {
            const StoredCert& cert = m_certs.at(fingerprint);
            if (cert.notBefore <= now && now < cert.notAfter) {
                out.push_back(cert);
            }
        }
        std::sort(out.begin(), out.end(), [](const StoredCert& a, const StoredCert& b) {
            return a.notBefore != b.notBefore ? a.notBefore > b.notBefore : a.fingerprint < b.fingerprint;
        });
        return out;
    }

    mutable std::mutex m_mutex;
    std::map<std::string, StoredCert> m_certs;            // by fingerprint
    std::map<std::string, std::set<std::string>> m_filed; // address hash -> fingerprints
    bool m_down = false;
    int m_finds = 0;
    int m_puts = 0;
};

} // namespace sealpost::keydir::test
