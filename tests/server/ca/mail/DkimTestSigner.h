#pragma once
// Test helper: a throwaway RSA key, the key file DkimVerifier reads it from, and DKIM signing
// with libopendkim's own signing API (an independent path from the verifier under test).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdexcept>
#include <string>
#include <vector>

#define _Bool bool // NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): dkim.h is C99
#include <opendkim/dkim.h>
#undef _Bool

namespace sealpost::ca::mail::test {

class DkimTestSigner {
public:
    // `selector`._domainkey.`domain`; the key file line is written to `keyFile`.
    DkimTestSigner(std::string selector, std::string domain)
        : m_selector(std::move(selector)), m_domain(std::move(domain)) {
        EVP_PKEY* key = EVP_RSA_gen(2048);
        if (key == nullptr) {
            throw std::runtime_error("RSA key generation failed");
        }
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> owned(key, EVP_PKEY_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
        char* data = nullptr;
        const long len = BIO_get_mem_data(bio.get(), &data);
        m_pem.assign(data, static_cast<std::size_t>(len));
        unsigned char* der = nullptr;
        const int derLen = i2d_PUBKEY(key, &der);
        std::string b64(static_cast<std::size_t>(4 * ((derLen + 2) / 3)), '\0');
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der, derLen);
        OPENSSL_free(der);
        m_keyRecord = "v=DKIM1; k=rsa; p=" + b64;
    }

    // "<selector>._domainkey.<domain> <record>" plus a newline, for DkimOptions::keyFile.
    [[nodiscard]] std::string keyFileLine() const {
        return m_selector + "._domainkey." + m_domain + " " + m_keyRecord + "\n";
    }

    // The message with a DKIM-Signature field prepended; `headers` limits the signed fields
    // (lower-case names), empty for libopendkim's default list.
    [[nodiscard]] std::string sign(const std::string& message, const std::vector<std::string>& headers = {}) const {
        DKIM_LIB* lib = dkim_init(nullptr, nullptr);
        if (lib == nullptr) {
            throw std::runtime_error("dkim_init failed");
        }
        std::unique_ptr<DKIM_LIB, decltype(&dkim_close)> libOwner(lib, dkim_close);
        std::vector<std::string> names = headers;
        std::vector<const char*> list;
        for (const auto& h : names) {
            list.push_back(h.c_str());
        }
        list.push_back(nullptr);
        if (!headers.empty() &&
            dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, list.data(), sizeof(list.data())) != DKIM_STAT_OK) {
            throw std::runtime_error("DKIM_OPTS_SIGNHDRS refused");
        }
        DKIM_STAT status = DKIM_STAT_OK;
        std::string key = m_pem;
        DKIM* dkim = dkim_sign(lib, reinterpret_cast<const unsigned char*>("test"), nullptr,
                               reinterpret_cast<unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(m_selector.c_str()),
                               reinterpret_cast<const unsigned char*>(m_domain.c_str()), DKIM_CANON_RELAXED,
                               DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &status);
        if (dkim == nullptr) {
            throw std::runtime_error(std::string("dkim_sign: ") + dkim_getresultstr(status));
        }
        std::unique_ptr<DKIM, decltype(&dkim_free)> owner(dkim, dkim_free);
        std::string copy = message;
        if (dkim_chunk(dkim, reinterpret_cast<unsigned char*>(copy.data()), copy.size()) != DKIM_STAT_OK ||
            dkim_chunk(dkim, nullptr, 0) != DKIM_STAT_OK || dkim_eom(dkim, nullptr) != DKIM_STAT_OK) {
            throw std::runtime_error(std::string("DKIM signing failed: ") + dkim_geterror(dkim));
        }
        const std::string prefix = "DKIM-Signature: ";
        unsigned char* value = nullptr;
        std::size_t valueLen = 0;
        if (dkim_getsighdr_d(dkim, prefix.size(), &value, &valueLen) != DKIM_STAT_OK) {
            throw std::runtime_error("dkim_getsighdr_d failed");
        }
        std::string field = prefix + std::string(reinterpret_cast<char*>(value), valueLen);
        // The message is CRLF; make sure the folded field is too.
        std::string crlf;
        for (char c : field) {
            if (c == '\n' && (crlf.empty() || crlf.back() != '\r')) {
                crlf += '\r';
            }
            crlf += c;
        }
        return crlf + "\r\n" + message;
    }

private:
    std::string m_selector;
    std::string m_domain;
    std::string m_pem;
    std::string m_keyRecord;
};

} // namespace sealpost::ca::mail::test
