#include "crypto/Csr.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <climits>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sealpost::crypto {

namespace {

struct ExtensionStackDeleter {
    void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
};
using ExtensionStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackDeleter>;

// An IA5String's text when it is printable ASCII without NUL, else nullopt.
std::optional<std::string> asciiText(const ASN1_STRING* s) {
    const unsigned char* data = ASN1_STRING_get0_data(s);
    const int length = ASN1_STRING_length(s);
    if (data == nullptr || length <= 0) {
        return std::nullopt;
    }
    std::string text(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    for (const char c : text) {
        if (c <= 0x20 || c >= 0x7F) {
            return std::nullopt;
        }
    }
    return text;
}

base::Result<bool> addName(GENERAL_NAMES* names, int type, const std::string& value) {
    OsslPtr<ASN1_STRING> ia5(ASN1_IA5STRING_new());
    if (!ia5 || ASN1_STRING_set(ia5.get(), value.data(), static_cast<int>(value.size())) != 1) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot encode a name");
    }
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: out of memory");
    }
    GENERAL_NAME_set0_value(name, type, ia5.release());
    if (sk_GENERAL_NAME_push(names, name) == 0) {
        GENERAL_NAME_free(name);
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: out of memory");
    }
    return true;
}

std::string subjectEntry(const X509_NAME* subject, int nid) {
    const int index = X509_NAME_get_index_by_NID(subject, nid, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) {
        clearOpenSslErrors();
        return {};
    }
    std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return text;
}

} // namespace

base::Result<base::Bytes> makeCsr(const PrivateKey& key, const CsrContent& content) {
    if (content.emails.empty() && content.dnsNames.empty()) {
        return base::Error{base::ErrorCode::InvalidArgument, "CSR: no name to request"};
    }
    OsslPtr<X509_REQ> req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot create");
    }
    const std::string& commonName = content.emails.empty() ? content.dnsNames.front() : content.emails.front();
    X509_NAME* subject = X509_REQ_get_subject_name(req.get());
    if (commonName.size() <= 64 && X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                                              reinterpret_cast<const unsigned char*>(commonName.data()),
                                                              static_cast<int>(commonName.size()), -1, 0) != 1) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot set the subject");
    }
    std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> names(GENERAL_NAMES_new(), GENERAL_NAMES_free);
    if (!names) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: out of memory");
    }
    for (const std::string& email : content.emails) {
        if (auto added = addName(names.get(), GEN_EMAIL, email); !added) {
            return added.error();
        }
    }
    for (const std::string& dns : content.dnsNames) {
        if (auto added = addName(names.get(), GEN_DNS, dns); !added) {
            return added.error();
        }
    }
    ExtensionStackPtr extensions(sk_X509_EXTENSION_new_null());
    X509_EXTENSION* san = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
    if (!extensions || san == nullptr || sk_X509_EXTENSION_push(extensions.get(), san) == 0) {
        X509_EXTENSION_free(san);
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot encode the subjectAltName");
    }
    if (X509_REQ_add_extensions(req.get(), extensions.get()) != 1 ||
        X509_REQ_set_pubkey(req.get(), key.native()) != 1 ||
        X509_REQ_sign(req.get(), key.native(), EVP_sha256()) <= 0) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot sign");
    }
    unsigned char* der = nullptr;
    const int length = i2d_X509_REQ(req.get(), &der);
    if (length <= 0) {
        return openSslError(base::ErrorCode::CryptoFailure, "CSR: cannot encode");
    }
    base::Bytes out(der, der + length);
    OPENSSL_free(der);
    return out;
}

base::Result<ParsedCsr> parseCsr(base::ByteView der) {
    if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
        return base::Error{base::ErrorCode::MalformedInput, "CSR: empty or oversized"};
    }
    const unsigned char* p = der.data();
    OsslPtr<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
    if (!req) {
        return openSslError(base::ErrorCode::MalformedInput, "CSR: not a DER certification request");
    }
    if (p != der.data() + der.size()) {
        return base::Error{base::ErrorCode::MalformedInput, "CSR: trailing bytes after the request"};
    }
    EVP_PKEY* key = X509_REQ_get_pubkey(req.get()); // a new reference
    if (key == nullptr) {
        return openSslError(base::ErrorCode::MalformedInput, "CSR: unreadable public key");
    }
    PublicKey publicKey = PublicKey::adopt(key);
    if (X509_REQ_verify(req.get(), publicKey.native()) != 1) {
        clearOpenSslErrors();
        return base::Error{base::ErrorCode::AuthFailed, "CSR: the signature does not verify"};
    }
    ParsedCsr parsed{publicKey, {}, {}, {}};
    const X509_NAME* subject = X509_REQ_get_subject_name(req.get());
    parsed.subjectCommonName = subjectEntry(subject, NID_commonName);
    for (int i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, i)) {
        if (auto text = asciiText(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)))) {
            parsed.subjectEmails.push_back(*text);
        } else {
            return base::Error{base::ErrorCode::MalformedInput, "CSR: an emailAddress that is not ASCII"};
        }
    }
    ExtensionStackPtr extensions(X509_REQ_get_extensions(req.get()));
    if (!extensions) {
        clearOpenSslErrors();
        return parsed; // no extension request: no subjectAltName
    }
    int critical = 0;
    std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> names(
        static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions.get(), NID_subject_alt_name, &critical, nullptr)),
        GENERAL_NAMES_free);
    if (!names) {
        if (critical == -2) {
            return base::Error{base::ErrorCode::MalformedInput, "CSR: more than one subjectAltName extension"};
        }
        if (critical != -1) {
            return base::Error{base::ErrorCode::MalformedInput, "CSR: unreadable subjectAltName"};
        }
        clearOpenSslErrors();
        return parsed;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        int type = 0;
        const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
        if (type != GEN_EMAIL && type != GEN_DNS) {
            return base::Error{base::ErrorCode::Unsupported, "CSR: a subjectAltName other than email or DNS"};
        }
        auto text = asciiText(value);
        if (!text) {
            return base::Error{base::ErrorCode::MalformedInput, "CSR: a subjectAltName that is not printable ASCII"};
        }
        (type == GEN_EMAIL ? parsed.names.emails : parsed.names.dnsNames).push_back(std::move(*text));
    }
    return parsed;
}

} // namespace sealpost::crypto
