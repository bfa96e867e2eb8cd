#pragma once
// Shared by the tests of server/ca/issue: temporary directories, files, the openssl command line
// and a look inside certificates with OpenSSL.

#include "base/Bytes.h"
#include "crypto/Certificate.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <unistd.h>

namespace sealpost::ca::test {

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, removed with the object.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "sealpost-ca-issue-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) {
            m_path = pattern;
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    [[nodiscard]] const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

inline void writeFile(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
}

inline std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline bool haveOpenssl() {
    return std::system("openssl version >/dev/null 2>&1") ==
           0; // NOLINT(cert-env33-c): the CLI is what we check against
}

// Runs `openssl <args>` in `dir` (output in openssl.log there); whether it exited with 0.
inline bool opensslSucceeds(const fs::path& dir, const std::string& args) {
    const std::string cmd = "cd '" + dir.string() + "' && openssl " + args + " >openssl.log 2>&1";
    return std::system(cmd.c_str()) == 0; // NOLINT(cert-env33-c): the CLI is what we check against
}

// The same, and on failure the test fails with openssl's output.
inline bool runOpenssl(const fs::path& dir, const std::string& args) {
    if (!opensslSucceeds(dir, args)) {
        ADD_FAILURE() << "openssl " << args << "\n" << readFile(dir / "openssl.log");
        return false;
    }
    return true;
}

// The extension with `nid`: present exactly once, and whether it is critical.
struct ExtensionInfo {
    bool present = false;
    bool critical = false;
};
inline ExtensionInfo extension(const crypto::Certificate& cert, int nid) {
    const int index = X509_get_ext_by_NID(cert.native(), nid, -1);
    if (index < 0) {
        return {};
    }
    EXPECT_LT(X509_get_ext_by_NID(cert.native(), nid, index), 0) << "extension " << nid << " twice";
    return {true, X509_EXTENSION_get_critical(X509_get_ext(cert.native(), index)) == 1};
}

inline std::string octets(const ASN1_OCTET_STRING* s) {
    return s == nullptr ? std::string{}
                        : std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// The subject as (nid, text) pairs in order.
inline std::vector<std::pair<int, std::string>> subjectEntries(const crypto::Certificate& cert) {
    std::vector<std::pair<int, std::string>> out;
    const X509_NAME* name = X509_get_subject_name(cert.native());
    for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
        out.emplace_back(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)),
                         std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                     static_cast<std::size_t>(ASN1_STRING_length(data))));
    }
    return out;
}

// The rfc822Name subjectAltNames as written; any other kind is reported as "<other>".
inline std::vector<std::string> sanEmails(const crypto::Certificate& cert) {
    std::vector<std::string> out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.native(), NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        int type = 0;
        const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
        out.push_back(type == GEN_EMAIL ? octets(value) : "<other>");
    }
    GENERAL_NAMES_free(names);
    return out;
}

// The extended key usages as NIDs.
inline std::vector<int> extendedKeyUsages(const crypto::Certificate& cert) {
    std::vector<int> out;
    auto* usages =
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.native(), NID_ext_key_usage, nullptr, nullptr));
    for (int i = 0; usages != nullptr && i < sk_ASN1_OBJECT_num(usages); ++i) {
        out.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(usages, i)));
    }
    EXTENDED_KEY_USAGE_free(usages);
    return out;
}

// basicConstraints: cA and pathLenConstraint (-1 when absent).
struct Constraints {
    bool ca = false;
    long pathLength = -1;
};
inline Constraints basicConstraints(const crypto::Certificate& cert) {
    Constraints out;
    auto* bc =
        static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.native(), NID_basic_constraints, nullptr, nullptr));
    if (bc != nullptr) {
        out.ca = bc->ca != 0;
        out.pathLength = bc->pathlen != nullptr ? ASN1_INTEGER_get(bc->pathlen) : -1;
        BASIC_CONSTRAINTS_free(bc);
    }
    return out;
}

inline bool signedBy(const crypto::Certificate& child, const crypto::Certificate& parent) {
    EVP_PKEY* key = X509_get0_pubkey(parent.native());
    return key != nullptr && X509_verify(child.native(), key) == 1;
}

} // namespace sealpost::ca::test
