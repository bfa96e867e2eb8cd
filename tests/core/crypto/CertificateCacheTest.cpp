#include "crypto/CertificateCache.h"

#include "CryptoTestSupport.h"
#include "crypto/CmsOutline.h"
#include "crypto/CmsVerifier.h"
#include "crypto/OpenSslHandles.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sealpost::crypto {
namespace {

using test::bytes;
using test::loadCert;
using test::readFile;

// Everything verifyCms reports, as text, so that two results compare (and diff) in one go.
std::string describe(const base::Result<Verified>& r) {
    std::ostringstream out;
    if (!r) {
        out << "error " << static_cast<int>(r.error().code) << ' ' << r.error().detail;
        return out.str();
    }
    out << "eContentType " << r->eContentTypeOid << "\ndetached " << r->detached << "\ncontent " << r->content
        << "\nbag";
    for (const Certificate& c : r->certificates) {
        out << ' ' << c.sha256Fingerprint();
    }
    for (const SignerResult& s : r->signers) {
        out << "\nsigner " << (s.certificate ? s.certificate->sha256Fingerprint() : "-") << " status "
            << static_cast<int>(s.status) << " problem " << static_cast<int>(s.problem) << " detail " << s.detail
            << " signingTime " << (s.signingTime ? s.signingTime->time_since_epoch().count() : -1) << " expiredSince "
            << s.expiredSinceSigning << " announced " << s.announcedCapabilities << " capabilities";
        for (ContentCipher c : s.capabilities) {
            out << ' ' << static_cast<int>(c);
        }
        out << " ekp " << (s.encryptionKeyPreference ? s.encryptionKeyPreference->sha256Fingerprint() : "-")
            << " chain";
        for (const Certificate& c : s.chain) {
            out << ' ' << c.sha256Fingerprint();
        }
    }
    return out.str();
}

struct Sample {
    std::string name;
    std::string der;
    std::optional<std::string> detached;
};

std::vector<Sample> signedFixtures() {
    std::vector<Sample> out;
    for (const char* name :
         {"signed-detached.eml", "signed-expired.eml", "signed-from-mismatch.eml", "signed-header-protected.eml",
          "signed-noemail-usage.eml", "signed-tampered.eml", "signed-three-parts.eml", "signed-untrusted.eml"}) {
        const test::MultipartSigned parts = test::splitMultipartSigned(readFile(name));
        out.push_back({name, parts.signature, parts.signedPart});
    }
    {
        // The multipart/signed sits inside a multipart/mixed.
        const std::string eml = readFile("signed-partial.eml");
        const auto inner = eml.find("Content-Type: multipart/signed");
        const test::MultipartSigned parts = test::splitMultipartSigned(std::string_view(eml).substr(inner));
        out.push_back({"signed-partial.eml", parts.signature, parts.signedPart});
    }
    out.push_back({"signed-opaque.eml", test::smimeDer("signed-opaque.eml"), std::nullopt});
    out.push_back({"certs-only.p7c", readFile("certs-only.p7c"), std::nullopt});
    return out;
}

class CertificateCacheTest : public ::testing::Test {
protected:
    base::Result<Verified> verify(const Sample& s, CertificateCache* cache) const {
        std::array<base::ByteView, 1> content{};
        std::span<const base::ByteView> pieces;
        if (s.detached) {
            content[0] = bytes(*s.detached);
            pieces = content;
        }
        return verifyCms(bytes(s.der), pieces, VerifyOptions{m_root, test::checkTime(), cache});
    }

    std::vector<Certificate> m_root{loadCert("root-ca.cert.pem")};
};

TEST_F(CertificateCacheTest, FixturesVerifyTheSameWithAndWithoutCache) {
    CertificateCache cache;
    for (const Sample& s : signedFixtures()) {
        SCOPED_TRACE(s.name);
        // These are all plain DER, so the cached path is really taken.
        ASSERT_TRUE(cutSignedDataCertificates(bytes(s.der)).has_value());
        const auto plain = verify(s, nullptr);
        ASSERT_TRUE(plain) << plain.error().detail;
        ASSERT_FALSE(plain->certificates.empty());
        const std::string expected = describe(plain);
        EXPECT_EQ(describe(verify(s, &cache)), expected); // fills the cache
        EXPECT_EQ(describe(verify(s, &cache)), expected); // hits it
        EXPECT_EQ(ERR_peek_error(), 0u);
    }
    EXPECT_GT(cache.size(), 0u);
}

TEST_F(CertificateCacheTest, CachedBagHoldsTheCachedObjects) {
    CertificateCache cache;
    const Sample s = signedFixtures().front();
    const auto first = verify(s, &cache);
    const auto second = verify(s, &cache);
    ASSERT_TRUE(first && second);
    ASSERT_EQ(first->certificates.size(), second->certificates.size());
    for (std::size_t i = 0; i < first->certificates.size(); ++i) {
        EXPECT_EQ(first->certificates[i].native(), second->certificates[i].native());
    }
    ASSERT_EQ(second->signers.size(), 1u);
    ASSERT_TRUE(second->signers[0].certificate.has_value());
    X509* signer = second->signers[0].certificate->native();
    EXPECT_TRUE(std::any_of(first->certificates.begin(), first->certificates.end(),
                            [signer](const Certificate& c) { return c.native() == signer; }));
}

// SignedData written with indefinite lengths (as `openssl cms -sign -stream` does).
std::string streamSign(const Identity& id, const std::string& content) {
    auto in = memoryBio(content.data(), content.size());
    X509RefStackPtr chain(sk_X509_new_null());
    for (const Certificate& c : id.chain) {
        sk_X509_push(chain.get(), c.native());
    }
    const unsigned int flags = CMS_BINARY | CMS_STREAM;
    OsslPtr<CMS_ContentInfo> cms(CMS_sign(id.certificate.native(), id.key.native(), chain.get(), in.get(), flags));
    EXPECT_NE(cms, nullptr);
    OsslPtr<BIO> out(BIO_new(BIO_s_mem()));
    auto again = memoryBio(content.data(), content.size());
    EXPECT_EQ(i2d_CMS_bio_stream(out.get(), cms.get(), again.get(), static_cast<int>(flags)), 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(out.get(), &data);
    return {data, static_cast<std::size_t>(len)};
}

TEST_F(CertificateCacheTest, IndefiniteLengthFallsBackAndVerifiesTheSame) {
    const Sample s{"streamed", streamSign(test::loadIdentity("alice"), "Content-Type: text/plain\r\n\r\nhi\r\n"),
                   std::nullopt};
    ASSERT_EQ(static_cast<std::uint8_t>(s.der[1]), 0x80); // really indefinite
    EXPECT_FALSE(cutSignedDataCertificates(bytes(s.der)).has_value());
    const auto plain = verify(s, nullptr);
    ASSERT_TRUE(plain) << plain.error().detail;
    ASSERT_EQ(plain->signers.size(), 1u);
    EXPECT_EQ(plain->signers[0].status, SignatureStatus::Valid) << plain->signers[0].detail;
    CertificateCache cache;
    EXPECT_EQ(describe(verify(s, &cache)), describe(plain));
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CertificateCacheTest, BrokenInputFailsTheSame) {
    const Sample good = signedFixtures().front();
    CertificateCache cache;
    for (std::size_t cut : {good.der.size() / 2, good.der.size() - 1, std::size_t{40}}) {
        const Sample s{"truncated", good.der.substr(0, cut), good.detached};
        const auto plain = verify(s, nullptr);
        EXPECT_FALSE(plain);
        EXPECT_EQ(describe(verify(s, &cache)), describe(plain));
    }
    // A certificate damaged inside the bag: same outcome either way.
    std::string damaged = good.der;
    const auto cut = cutSignedDataCertificates(bytes(good.der));
    ASSERT_TRUE(cut);
    const auto certAt = static_cast<std::size_t>(cut->certificates[0].data() - bytes(good.der).data());
    damaged[certAt + 4] = static_cast<char>(0x05); // the tbsCertificate is no longer a SEQUENCE
    const Sample s{"damaged", damaged, good.detached};
    EXPECT_EQ(describe(verify(s, &cache)), describe(verify(s, nullptr)));
    ERR_clear_error();
}

TEST_F(CertificateCacheTest, SharedBetweenThreads) {
    const std::vector<Sample> samples = signedFixtures();
    std::vector<std::string> expected;
    for (const Sample& s : samples) {
        expected.push_back(describe(verify(s, nullptr)));
    }
    CertificateCache cache;
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < mismatches.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 10; ++round) {
                for (std::size_t i = 0; i < samples.size(); ++i) {
                    mismatches[t] += describe(verify(samples[i], &cache)) != expected[i] ? 1 : 0;
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    for (int m : mismatches) {
        EXPECT_EQ(m, 0);
    }
}

TEST(CertificateCache, HitReturnsTheSameObject) {
    CertificateCache cache;
    const base::Bytes der = loadCert("alice.cert.pem").der();
    auto a = cache.get(der);
    auto b = cache.get(base::Bytes(der)); // equal bytes elsewhere in memory
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->native(), b->native());
    EXPECT_EQ(*a, loadCert("alice.cert.pem"));
    EXPECT_EQ(cache.size(), 1u);
}

TEST(CertificateCache, RejectsWhatIsNotExactlyOneCertificate) {
    CertificateCache cache;
    base::Bytes der = loadCert("alice.cert.pem").der();
    der.push_back(0);
    EXPECT_FALSE(cache.get(der));
    der.resize(der.size() - 2);
    EXPECT_FALSE(cache.get(der));
    EXPECT_FALSE(cache.get(base::Bytes{}));
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateCache, StaysBounded) {
    CertificateCache cache(2);
    for (const char* name :
         {"alice.cert.pem", "bob.cert.pem", "carol.cert.pem", "root-ca.cert.pem", "intermediate-ca.cert.pem"}) {
        ASSERT_TRUE(cache.get(loadCert(name).der()));
        EXPECT_LE(cache.size(), 2u);
    }
    EXPECT_GT(cache.size(), 0u);
}

} // namespace
} // namespace sealpost::crypto
