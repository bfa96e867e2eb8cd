#pragma once
// Fakes for the ACME server's unit tests: a settable clock, a mailer that keeps what it was asked
// to send, an issuer with a throwaway root and intermediate made on the fly, and an ACME client
// that signs real JWS with core/crypto.

#include "base/Clock.h"
#include "ca/ChallengeMail.h"
#include "ca/Issuer.h"
#include "ca/acme/AcmeServer.h"
#include "crypto/AriCertId.h"
#include "crypto/Csr.h"
#include "crypto/Jose.h"
#include "crypto/KeyGen.h"

#include <chrono>
#include <gtest/gtest.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <vector>

namespace sealpost::ca::acme::test {

// 2026-06-01T00:00:00Z.
inline base::TimePoint testStart() {
    return std::chrono::system_clock::from_time_t(1780272000);
}

class SettableClock final : public base::Clock {
public:
    [[nodiscard]] base::TimePoint now() const override {
        const std::lock_guard lock(m_mutex);
        return m_now;
    }
    void advance(std::chrono::seconds by) {
        const std::lock_guard lock(m_mutex);
        m_now += by;
    }

private:
    mutable std::mutex m_mutex;
    base::TimePoint m_now = testStart();
};

class FakeMailer final : public ChallengeMailer {
public:
    [[nodiscard]] base::Result<void> send(const OutgoingChallenge& challenge) override {
        const std::lock_guard lock(m_mutex);
        if (fail) {
            return base::makeError(base::ErrorCode::Unreachable, "smtp down");
        }
        sent.push_back(challenge);
        return {};
    }
    // The last mail to `to`.
    OutgoingChallenge lastTo(const std::string& to) {
        const std::lock_guard lock(m_mutex);
        for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
            if (it->to == to) {
                return *it;
            }
        }
        ADD_FAILURE() << "no challenge mail to " << to;
        return {};
    }

    bool fail = false;
    std::vector<OutgoingChallenge> sent;

private:
    std::mutex m_mutex;
};

inline void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for `key` (a public key is enough), signed by `signer` (itself when null).
inline crypto::Certificate makeCertificate(const std::string& cn, EVP_PKEY* key, const crypto::Certificate* issuer,
                                           EVP_PKEY* signerKey, const std::vector<std::string>& emails,
                                           base::TimePoint notBefore, base::TimePoint notAfter, long serial) {
    X509* x509 = X509_new();
    auto cert = crypto::Certificate::adopt(x509);
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), serial);
    ASN1_TIME_set(X509_getm_notBefore(x509), std::chrono::system_clock::to_time_t(notBefore));
    ASN1_TIME_set(X509_getm_notAfter(x509), std::chrono::system_clock::to_time_t(notAfter));
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(x509, issuer != nullptr ? X509_get_subject_name(issuer->native()) : name);
    X509_set_pubkey(x509, key);
    X509* issuerCert = issuer != nullptr ? issuer->native() : x509;
    addExtension(x509, issuerCert, NID_subject_key_identifier, "hash");
    addExtension(x509, issuerCert, NID_authority_key_identifier, "keyid");
    addExtension(x509, issuerCert, NID_basic_constraints, emails.empty() ? "critical,CA:TRUE" : "critical,CA:FALSE");
    std::string san;
    for (const std::string& email : emails) {
        san += (san.empty() ? "email:" : ",email:") + email;
    }
    if (!san.empty()) {
        addExtension(x509, issuerCert, NID_subject_alt_name, san);
    }
    EXPECT_GT(X509_sign(x509, signerKey, EVP_sha256()), 0);
    return cert;
}

// Issues like the real CA would, minus the policy: it records each request, checks the CSR's
// names against the order's and can be told to refuse.
class FakeIssuer final : public Issuer {
public:
    explicit FakeIssuer(const base::Clock& clock)
        : m_rootKey(*crypto::generateKey(crypto::KeySpec::P256)),
          m_intermediateKey(*crypto::generateKey(crypto::KeySpec::P256)),
          m_root(makeCertificate("Test Root", m_rootKey.native(), nullptr, m_rootKey.native(), {},
                                 clock.now() - std::chrono::hours(24), clock.now() + std::chrono::hours(24 * 3650), 1)),
          m_intermediate(makeCertificate("Test Intermediate", m_intermediateKey.native(), &m_root, m_rootKey.native(),
                                         {}, clock.now() - std::chrono::hours(24),
                                         clock.now() + std::chrono::hours(24 * 3650), 2)) {}

    [[nodiscard]] base::Result<Outcome> issue(const IssueRequest& request) override {
        const std::lock_guard lock(m_mutex);
        requests.push_back({base::Bytes(request.csrDer.begin(), request.csrDer.end()), request.emails,
                            request.accountKeySpki, request.now});
        if (refuse) {
            return Outcome{std::nullopt, refuse};
        }
        auto csr = crypto::parseCsr(request.csrDer);
        if (!csr) {
            return Outcome{std::nullopt, IssueError{CsrProblem::BadCsr, csr.error().detail}};
        }
        if (csr->names.emails != request.emails) {
            return Outcome{std::nullopt, IssueError{CsrProblem::BadCsr, "names differ from the order's"}};
        }
        auto spki = csr->key.spkiDer();
        if (spki && *spki == request.accountKeySpki) {
            return Outcome{std::nullopt, IssueError{CsrProblem::BadCsr, "the account key"}};
        }
        IssuedCertificate issued{makeCertificate(request.emails.front(), csr->key.native(), &m_intermediate,
                                                 m_intermediateKey.native(), request.emails,
                                                 request.now - std::chrono::hours(1),
                                                 request.now + std::chrono::hours(24 * 90), ++m_serial),
                                 {m_intermediate},
                                 {}};
        auto certId = crypto::ariCertId(issued.leaf);
        if (!certId) {
            return certId.error();
        }
        issued.ariCertId = *certId;
        return Outcome{std::move(issued), std::nullopt};
    }
    [[nodiscard]] const crypto::Certificate& root() const override { return m_root; }
    [[nodiscard]] const crypto::Certificate& intermediate() const { return m_intermediate; }

    struct Copy {
        base::Bytes csr;
        std::vector<std::string> emails;
        base::Bytes accountKeySpki;
        base::TimePoint now;
    };
    std::vector<Copy> requests;
    std::optional<IssueError> refuse;

private:
    std::mutex m_mutex;
    crypto::PrivateKey m_rootKey;
    crypto::PrivateKey m_intermediateKey;
    crypto::Certificate m_root;
    crypto::Certificate m_intermediate;
    long m_serial = 100;
};

} // namespace sealpost::ca::acme::test
