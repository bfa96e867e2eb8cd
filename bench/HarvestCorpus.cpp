// Generates the mail corpus for bench/harvest-throughput.sh: a benchmark PKI (root -> intermediate
// -> one certificate per sender) and N detached multipart/signed messages, written both as an
// mbox (mboxrd, LF line ends, as Unix mail tools store it) and as a Maildir (CRLF files in cur/).
//
//   sealpost-bench-harvest-corpus OUTDIR [--messages N] [--senders N] [--seed N]
//
// The signers share a few keys (RSA-2048, RSA-3072, P-256, two of each; sender i uses key i % 6,
// so a third of the mail each), but every sender has its own certificate naming its address, so
// a harvest sees one insert per sender and repeats for the rest. The first `senders` messages
// come from every sender once, the others from a random sender. signingTime grows through the
// corpus with a few days of jitter, so a repeat is sometimes newer (the store updates the entry)
// and sometimes older (last-seen only). Certificates are valid from 400 days ago for ten years,
// so the corpus is checked at the real time. Not a test and not part of the product.

#include "base/ByteSink.h"
#include "base/Bytes.h"
#include "crypto/Certificate.h"
#include "crypto/CmsSigner.h"
#include "crypto/Identity.h"
#include "crypto/PrivateKey.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace sealpost;
using Clock = std::chrono::system_clock;

struct X509Free {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

void check(bool ok, std::string_view what) {
    if (!ok) {
        throw std::runtime_error("failed: " + std::string(what));
    }
}

enum class KeyKind { Rsa2048, Rsa3072, P256 };

std::string_view kindName(KeyKind k) {
    switch (k) {
    case KeyKind::Rsa2048: return "RSA-2048";
    case KeyKind::Rsa3072: return "RSA-3072";
    case KeyKind::P256: return "P-256";
    }
    return "?";
}

PkeyPtr makeKey(KeyKind kind) {
    PkeyPtr key(kind == KeyKind::P256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(kind == KeyKind::Rsa2048 ? 2048U : 3072U));
    check(key != nullptr, "key generation");
    return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, value);
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(added == 1, "X509_add_ext");
}

struct CertSpec {
    std::string commonName;
    std::string email; // "" for CAs
    long serial = 1;
    bool ca = false;
    bool intermediate = false; // pathlen:0
    KeyKind kind = KeyKind::Rsa2048;
};

// issuer/issuerKey null: self-signed.
X509Ptr makeCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey) {
    X509Ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial) == 1, "serial");
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto add = [&](const char* field, const std::string& value) {
        check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
              field);
    };
    add("O", "Sealpost Bench");
    add("CN", spec.commonName);
    check(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name) == 1, "issuer");
    std::time_t now = Clock::to_time_t(Clock::now());
    check(X509_time_adj_ex(X509_getm_notBefore(cert.get()), -400, 0, &now) != nullptr, "notBefore");
    check(X509_time_adj_ex(X509_getm_notAfter(cert.get()), 3650, 0, &now) != nullptr, "notAfter");
    check(X509_set_pubkey(cert.get(), key) == 1, "pubkey");
    X509* const iss = issuer != nullptr ? issuer : cert.get();
    if (spec.ca) {
        addExtension(cert.get(), iss, NID_basic_constraints,
                     spec.intermediate ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE");
        addExtension(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
        addExtension(cert.get(), iss, NID_subject_key_identifier, "hash");
    } else {
        addExtension(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
        addExtension(cert.get(), iss, NID_key_usage,
                     spec.kind == KeyKind::P256 ? "critical,digitalSignature,keyAgreement"
                                                : "critical,digitalSignature,keyEncipherment");
        addExtension(cert.get(), iss, NID_ext_key_usage, "emailProtection");
        addExtension(cert.get(), iss, NID_subject_alt_name, ("email:" + spec.email).c_str());
        addExtension(cert.get(), iss, NID_subject_key_identifier, "hash");
    }
    if (issuer != nullptr) {
        addExtension(cert.get(), iss, NID_authority_key_identifier, "keyid:always");
    }
    check(X509_sign(cert.get(), issuerKey != nullptr ? issuerKey : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

crypto::Certificate toCertificate(const X509Ptr& cert) {
    check(X509_up_ref(cert.get()) == 1, "X509_up_ref");
    return crypto::Certificate::adopt(cert.get());
}

crypto::PrivateKey toKey(const PkeyPtr& key) {
    check(EVP_PKEY_up_ref(key.get()) == 1, "EVP_PKEY_up_ref");
    return crypto::PrivateKey::adopt(key.get());
}

void writeFile(const std::filesystem::path& path, std::string_view data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    check(static_cast<bool>(out.flush()), "write " + path.string());
}

std::string base64Lines(const base::Bytes& der) {
    std::string out;
    for (std::size_t i = 0; i < der.size(); i += 57) {
        const std::size_t n = std::min<std::size_t>(57, der.size() - i);
        std::array<unsigned char, 80> line{};
        const int len = EVP_EncodeBlock(line.data(), &der[i], static_cast<int>(n));
        out.append(reinterpret_cast<const char*>(line.data()), static_cast<std::size_t>(len));
        out += "\r\n";
    }
    return out;
}

std::string rfc5322Date(Clock::time_point t) {
    const std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::array<char, 64> buf{};
    const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return {buf.data(), n};
}

const std::array<std::string_view, 12> kWords = {"invoice", "meeting", "schedule", "budget",   "review",  "draft",
                                                 "report",  "agenda",  "minutes",  "proposal", "quarter", "release"};

// CRLF text lines of at most 76 characters, about `size` bytes.
std::string textLines(std::mt19937& rng, std::size_t size) {
    std::string out;
    std::string line;
    while (out.size() < size) {
        line.clear();
        while (line.size() < 60) {
            line += kWords.at(rng() % kWords.size());
            line += ' ';
        }
        line.pop_back();
        out += line;
        out += "\r\n";
    }
    return out;
}

// The signed entity: text/plain (4 in 5), or multipart/mixed with text and a base64 attachment.
std::string makeContent(std::mt19937& rng, std::size_t index) {
    const std::size_t textSize = 400 + rng() % 3600;
    if (rng() % 5 != 0) {
        return "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
               textLines(rng, textSize);
    }
    base::Bytes blob(4096 + rng() % 28672);
    for (auto& b : blob) {
        b = static_cast<std::uint8_t>(rng());
    }
    const std::string boundary = "----=_bench_mixed_" + std::to_string(index);
    return "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary +
           "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
           textLines(rng, textSize) + "\r\n--" + boundary +
           "\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n\r\n" +
           base64Lines(blob) + "\r\n--" + boundary + "--\r\n";
}

// mboxrd: LF line ends, one more '>' on lines matching ^>*From .
void appendMbox(std::string& mbox, std::string_view message, std::string_view sender, Clock::time_point t) {
    const std::time_t tt = Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::array<char, 64> date{};
    const std::size_t n = std::strftime(date.data(), date.size(), "%a %b %e %H:%M:%S %Y", &tm);
    mbox += "From ";
    mbox += sender;
    mbox += ' ';
    mbox.append(date.data(), n);
    mbox += '\n';
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::size_t end = message.find('\n', pos);
        end = end == std::string_view::npos ? message.size() : end + 1;
        std::string_view line = message.substr(pos, end - pos);
        pos = end;
        if (line.ends_with("\r\n")) {
            line.remove_suffix(2);
        } else if (line.ends_with('\n')) {
            line.remove_suffix(1);
        }
        const std::size_t quotes = line.find_first_not_of('>');
        if (quotes != std::string_view::npos && line.substr(quotes).starts_with("From ")) {
            mbox += '>';
        }
        mbox += line;
        mbox += '\n';
    }
    mbox += '\n';
}

struct Options {
    std::filesystem::path out;
    std::size_t messages = 10000;
    std::size_t senders = 500;
    unsigned seed = 20261123;
};

Options parseArgs(int argc, char** argv) {
    Options o;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if ((a == "--messages" || a == "--senders" || a == "--seed") && i + 1 < args.size()) {
            const unsigned long value = std::stoul(args[++i]);
            if (a == "--messages") {
                o.messages = value;
            } else if (a == "--senders") {
                o.senders = value;
            } else {
                o.seed = static_cast<unsigned>(value);
            }
        } else if (!a.empty() && a[0] != '-' && o.out.empty()) {
            o.out = a;
        } else {
            throw std::invalid_argument("usage: sealpost-bench-harvest-corpus OUTDIR [--messages N] [--senders N] "
                                        "[--seed N]");
        }
    }
    if (o.out.empty() || o.senders == 0 || o.messages < o.senders) {
        throw std::invalid_argument("need OUTDIR, and --messages >= --senders > 0");
    }
    return o;
}

void generate(const Options& o) {
    namespace fs = std::filesystem;
    fs::create_directories(o.out / "pki");
    fs::remove_all(o.out / "maildir");
    fs::create_directories(o.out / "maildir" / "cur");
    fs::create_directories(o.out / "maildir" / "new");
    fs::create_directories(o.out / "maildir" / "tmp");

    const PkeyPtr rootKey = makeKey(KeyKind::Rsa3072);
    CertSpec rootSpec;
    rootSpec.commonName = "Sealpost Bench Root CA";
    rootSpec.ca = true;
    const X509Ptr root = makeCert(rootSpec, rootKey.get(), nullptr, nullptr);
    const PkeyPtr intKey = makeKey(KeyKind::Rsa2048);
    CertSpec intSpec = rootSpec;
    intSpec.commonName = "Sealpost Bench Intermediate CA";
    intSpec.serial = 2;
    intSpec.intermediate = true;
    const X509Ptr intermediate = makeCert(intSpec, intKey.get(), root.get(), rootKey.get());
    const crypto::Certificate rootCert = toCertificate(root);
    const crypto::Certificate intCert = toCertificate(intermediate);
    writeFile(o.out / "pki" / "root.cert.pem", rootCert.pem());
    writeFile(o.out / "pki" / "intermediate.cert.pem", intCert.pem());

    const std::array<KeyKind, 6> kinds = {KeyKind::Rsa2048, KeyKind::Rsa3072, KeyKind::P256,
                                          KeyKind::Rsa2048, KeyKind::Rsa3072, KeyKind::P256};
    std::vector<PkeyPtr> keys;
    for (const KeyKind k : kinds) {
        keys.push_back(makeKey(k));
    }
    std::vector<crypto::Identity> senders;
    std::vector<std::string> addresses;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < o.senders; ++i) {
        const std::size_t k = i % keys.size();
        addresses.push_back("sender" + std::to_string(i) + "@bench" + std::to_string(i % 7) + ".example");
        names.push_back("Sender " + std::to_string(i));
        CertSpec spec;
        spec.commonName = names.back();
        spec.email = addresses.back();
        spec.serial = static_cast<long>(1000 + i);
        spec.kind = kinds.at(k);
        const X509Ptr cert = makeCert(spec, keys[k].get(), intermediate.get(), intKey.get());
        senders.push_back({toKey(keys[k]), toCertificate(cert), {intCert}});
    }

    std::mt19937 rng(o.seed);
    const auto start = std::chrono::floor<std::chrono::seconds>(Clock::now()) - std::chrono::days(61);
    const auto span = std::chrono::seconds(std::chrono::days(58)) / o.messages;
    std::string mbox;
    std::array<std::size_t, 3> perKind{};
    std::uint64_t bytes = 0;
    for (std::size_t m = 0; m < o.messages; ++m) {
        const std::size_t s = m < o.senders ? m : rng() % o.senders;
        ++perKind.at(static_cast<std::size_t>(kinds.at(s % kinds.size())));
        const auto signingTime = start + span * m - std::chrono::seconds(rng() % (3 * 24 * 3600));
        const std::string content = makeContent(rng, m);
        std::string der;
        base::StringSink sink(der);
        const std::array<base::ByteView, 1> parts = {base::asBytes(content)};
        crypto::SignOptions signOptions;
        signOptions.signingTime = signingTime;
        auto signedOk = crypto::signCms(parts, senders[s], signOptions, sink);
        check(static_cast<bool>(signedOk), "signCms");
        const std::string boundary = "----=_bench_signed_" + std::to_string(m);
        const std::string message =
            "From: " + names[s] + " <" + addresses[s] + ">\r\nTo: Bench Reader <reader@bench.example>\r\n" +
            "Subject: " + std::string(kWords.at(m % kWords.size())) + " " + std::to_string(m) +
            "\r\nDate: " + rfc5322Date(signingTime) + "\r\nMessage-ID: <" + std::to_string(m) +
            "@bench.sealpost.test>\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; "
            "boundary=\"" +
            boundary + "\"\r\n\r\nThis is an S/MIME signed message\r\n\r\n--" + boundary + "\r\n" + content + "\r\n--" +
            boundary +
            "\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
            "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n" +
            base64Lines(base::Bytes(der.begin(), der.end())) + "\r\n--" + boundary + "--\r\n";
        std::array<char, 32> name{};
        std::snprintf(name.data(), name.size(), "%06zu.bench:2,S", m);
        writeFile(o.out / "maildir" / "cur" / name.data(), message);
        appendMbox(mbox, message, addresses[s], signingTime);
        bytes += message.size();
    }
    writeFile(o.out / "corpus.mbox", mbox);
    std::string info = "messages " + std::to_string(o.messages) + "\nsenders " + std::to_string(o.senders) +
                       "\nmessage_bytes " + std::to_string(bytes) + "\nmbox_bytes " + std::to_string(mbox.size()) +
                       "\n";
    for (std::size_t k = 0; k < perKind.size(); ++k) {
        info += "signed_" + std::string(kindName(static_cast<KeyKind>(k))) + " " + std::to_string(perKind.at(k)) + "\n";
    }
    writeFile(o.out / "corpus.txt", info);
    std::cout << info;
}

} // namespace

int main(int argc, char** argv) {
    try {
        generate(parseArgs(argc, argv));
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "sealpost-bench-harvest-corpus: " << e.what() << "\n";
        return 2;
    }
}
