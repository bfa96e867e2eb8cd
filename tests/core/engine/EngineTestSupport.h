#pragma once
// Shared fixtures for the engine tests: a fresh profile in a temp dir, the fixture PKI, and
// messages signed on the fly.

#include "../smime/SmimeTestSupport.h"
#include "../store/StoreTestSupport.h"
#include "../store/TestCertificates.h"
#include "base/ByteSink.h"
#include "base/Clock.h"
#include "smime/MessageProtector.h"
#include "store/CorrespondentStore.h"
#include "store/Statement.h"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace sealpost::engine::test {

using smime::test::checkTime;
using smime::test::loadCertificate;
using smime::test::loadIdentity;
using smime::test::readData;
using smime::test::signTime;

inline std::int64_t certRowCount(store::Database& db) {
    auto st = store::Statement::prepare(db, "SELECT COUNT(*) FROM correspondent_certs");
    EXPECT_TRUE(st.ok());
    auto row = st->step();
    EXPECT_TRUE(row.ok() && *row);
    return st->columnInt64(0);
}

// Stores WHO@example.org's fixture certificate (WHO.cert.pem) as learned from a signed message of
// theirs, with the capabilities that message announced (none: nullopt).
inline void rememberCorrespondent(store::Database& db, const base::Clock& clock, const std::string& who,
                                  std::optional<std::vector<crypto::ContentCipher>> capabilities = std::nullopt) {
    auto done = store::CorrespondentStore(db, clock).remember(
        {.address = who + "@example.org",
         .cert = loadCertificate(who + ".cert.pem"),
         .provenance = {store::ProvenanceKind::Harvested, "<" + who + "@test>"},
         .seenAt = signTime(),
         .signingTime = signTime(),
         .capabilities = std::move(capabilities),
         .encryptionKeyPreference = false});
    ASSERT_TRUE(done.ok()) << done.error().detail;
}

// A key and certificate for `address` issued by the fixture intermediate CA (so it chains to the root).
inline crypto::Identity issueIdentity(const std::string& address, const std::string& keyUsage,
                                      const std::string& eku = "emailProtection") {
    static const crypto::PrivateKey caKey =
        crypto::PrivateKey::parse(base::asBytes(readData("intermediate-ca.key.pem"))).value();
    store::test::CertSpec spec{.address = address,
                               .key = store::test::makeKey(true),
                               .notBefore = std::chrono::system_clock::from_time_t(1735689600), // 2025-01-01
                               .notAfter = std::chrono::system_clock::from_time_t(2051222400),  // 2035-01-01
                               .keyUsage = keyUsage,
                               .eku = eku,
                               .issuerCn = {},
                               .caKey = &caKey,
                               .caCert = loadCertificate("intermediate-ca.cert.pem")};
    return crypto::Identity{crypto::PrivateKey::share(spec.key.get()), store::test::makeCert(spec), {*spec.caCert}};
}

inline crypto::Certificate issueFromIntermediate(const std::string& address, const std::string& keyUsage) {
    return issueIdentity(address, keyUsage).certificate;
}

// A message signed (detached) by `signer` with optional SMIMEEncryptionKeyPreference.
inline std::string signedMessage(const std::string& message, const crypto::Identity& signer,
                                 std::optional<crypto::Certificate> preference = std::nullopt) {
    smime::ProtectRequest request;
    request.sign = smime::SignStep{.signer = signer,
                                   .form = smime::SignatureForm::Detached,
                                   .digest = crypto::DigestAlgorithm::Sha256,
                                   .encryptionCertificate = std::move(preference)};
    request.now = signTime();
    std::string text;
    base::StringSink out(text);
    auto done = smime::protectMessage(message, request, out);
    EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().detail);
    return text;
}

inline std::string plainMessage(const std::string& from, const std::string& messageId,
                                const std::string& body = "Hello.\r\n") {
    return "From: " + from + "\r\nTo: bob@example.org\r\nSubject: test\r\nMessage-ID: " + messageId +
           "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
}

} // namespace sealpost::engine::test
