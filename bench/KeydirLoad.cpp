// Fills a sealpost-keydir database with N realistic S/MIME encryption certificates for the
// directory benchmark (bench/keydir-lookup.sh): one EC P-256 test CA, one leaf key, and a
// certificate per address user<i>@bench.example (rfc822Name SAN, keyUsage digitalSignature +
// keyAgreement, EKU emailProtection), each signed by the CA, so the server's lookups answer
// exactly what a real directory would. One key for all leaves keeps generation fast (a signature
// per certificate, about 40 us); the certificates themselves all differ.
//
// Usage: sealpost-bench-keydir-load COUNT CA_PEM_OUT SAMPLE_OUT SAMPLE_SIZE DATABASE_URL...
//   CA_PEM_OUT    the test CA, for sealpost-keydir --trust-anchors
//   SAMPLE_OUT    SAMPLE_SIZE address hashes spread evenly over the loaded ones, one per line
//   DATABASE_URL  as sealpost-keydir --database (sqlite:PATH or postgresql://...); each one gets
//                 the same certificates (generated once)
#include "keydir/store/CertStore.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace sealpost;

template <typename T, void (*F)(T*)> struct Free {
    void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509, X509_free>>;

[[noreturn]] void die(const std::string& what) {
    std::cerr << "keydir-load: " << what << "\n";
    std::exit(1);
}

KeyPtr ecKey() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        die("cannot generate an EC key");
    }
    return key;
}

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) {
        die("cannot add an extension");
    }
    X509_EXTENSION_free(ext);
}

// Valid from `at` + notBeforeOffset for `lifetime` seconds.
X509Ptr makeCert(const std::string& cn, EVP_PKEY* subjectKey, X509* issuer, EVP_PKEY* issuerKey, long serial,
                 std::time_t at, long notBeforeOffset, long lifetime) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, notBeforeOffset, &at);
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, notBeforeOffset + lifetime, &at);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert.get(), subjectKey);
    X509* issuerCert = issuer != nullptr ? issuer : cert.get();
    if (issuer == nullptr) {
        addExt(cert.get(), issuerCert, NID_basic_constraints, "critical,CA:TRUE");
        addExt(cert.get(), issuerCert, NID_key_usage, "critical,keyCertSign,cRLSign");
        addExt(cert.get(), issuerCert, NID_subject_key_identifier, "hash");
    } else {
        const std::string san = "email:" + cn;
        addExt(cert.get(), issuerCert, NID_basic_constraints, "critical,CA:FALSE");
        addExt(cert.get(), issuerCert, NID_key_usage, "critical,digitalSignature,keyAgreement");
        addExt(cert.get(), issuerCert, NID_ext_key_usage, "emailProtection");
        addExt(cert.get(), issuerCert, NID_subject_alt_name, san.c_str());
        addExt(cert.get(), issuerCert, NID_authority_key_identifier, "keyid");
    }
    if (X509_sign(cert.get(), issuerKey, EVP_sha256()) == 0) {
        die("cannot sign a certificate");
    }
    return cert;
}

std::string hex(const unsigned char* data, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = kDigits[data[i] >> 4U];
        out[2 * i + 1] = kDigits[data[i] & 0x0fU];
    }
    return out;
}

std::string sha256Hex(const void* data, std::size_t size) {
    unsigned char digest[32];
    unsigned int length = 0;
    if (EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr) != 1) {
        die("SHA-256 failed");
    }
    return hex(digest, length);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::cerr << "usage: sealpost-bench-keydir-load COUNT CA_PEM_OUT SAMPLE_OUT SAMPLE_SIZE DATABASE_URL...\n";
        return 2;
    }
    const long count = std::strtol(argv[1], nullptr, 10);
    const long sampleSize = std::strtol(argv[4], nullptr, 10);
    if (count <= 0 || sampleSize <= 0 || sampleSize > count) {
        die("COUNT and SAMPLE_SIZE must be positive, SAMPLE_SIZE at most COUNT");
    }
    std::vector<std::unique_ptr<keydir::CertStore>> stores;
    for (int i = 5; i < argc; ++i) {
        auto store = keydir::openCertStore(argv[i], 1);
        if (!store) {
            die(std::string("cannot open ") + argv[i] + ": " + store.error().detail);
        }
        stores.push_back(std::move(*store));
    }

    const std::time_t now = std::time(nullptr);
    const KeyPtr caKey = ecKey();
    const X509Ptr ca =
        makeCert("Sealpost Bench CA", caKey.get(), nullptr, caKey.get(), 1, now, -86400, 10L * 365 * 86400);
    {
        std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(argv[2], "w"), &std::fclose);
        if (!out || PEM_write_X509(out.get(), ca.get()) != 1) {
            die(std::string("cannot write ") + argv[2]);
        }
    }
    std::ofstream sample(argv[3]);
    if (!sample) {
        die(std::string("cannot write ") + argv[3]);
    }
    const long sampleStep = count / sampleSize;

    const KeyPtr leafKey = ecKey();
    // Certificate i, ready to store. Called from several threads: OpenSSL objects shared here
    // (keys, the CA certificate) are only read.
    auto makeEntry = [&](long i) {
        const std::string address = "user" + std::to_string(i) + "@bench.example";
        // Issued over the past 30 days, valid for a year: realistic spread of notBefore.
        const long notBeforeOffset = -86400L * (1 + i % 30);
        const X509Ptr leaf =
            makeCert(address, leafKey.get(), ca.get(), caKey.get(), 2 + i, now, notBeforeOffset, 365L * 86400);
        unsigned char* der = nullptr;
        const int derLength = i2d_X509(leaf.get(), &der);
        if (derLength <= 0) {
            die("cannot encode a certificate");
        }
        keydir::CertStore::BulkEntry entry;
        entry.cert.leafDer.assign(der, der + derLength);
        OPENSSL_free(der);
        entry.cert.fingerprint = sha256Hex(entry.cert.leafDer.data(), entry.cert.leafDer.size());
        entry.cert.notBefore = now + notBeforeOffset;
        entry.cert.notAfter = entry.cert.notBefore + 365L * 86400;
        entry.cert.provenance = "enrolled";
        entry.addressHashes.push_back(sha256Hex(address.data(), address.size()));
        return entry;
    };

    const auto started = std::chrono::steady_clock::now();
    const long threads = std::max(1U, std::thread::hardware_concurrency());
    constexpr long kBatch = 10000;
    std::int64_t inserted = 0;
    for (long first = 0; first < count; first += kBatch) {
        const long size = std::min(kBatch, count - first);
        std::vector<keydir::CertStore::BulkEntry> batch(static_cast<std::size_t>(size));
        std::vector<std::thread> workers;
        for (long t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (long k = t; k < size; k += threads) {
                    batch[static_cast<std::size_t>(k)] = makeEntry(first + k);
                }
            });
        }
        for (auto& w : workers) {
            w.join();
        }
        for (long k = 0; k < size; ++k) {
            const long i = first + k;
            if (i % sampleStep == 0 && i / sampleStep < sampleSize) {
                sample << batch[static_cast<std::size_t>(k)].addressHashes.front() << "\n";
            }
        }
        for (auto& store : stores) {
            auto put = store->putMany(batch, now);
            if (!put) {
                die("cannot store certificates: " + put.error().detail);
            }
            inserted += *put;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cerr << "\rkeydir-load: " << (first + size) << " of " << count << " certificates, " << seconds << " s"
                  << std::flush;
    }
    std::cerr << "\nkeydir-load: " << inserted << " new certificates stored in " << stores.size() << " database(s)\n";
    return 0;
}
