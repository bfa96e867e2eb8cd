#include "KeyMaterial.h"

#include "Io.h"
#include "base/SecureBuffer.h"
#include "crypto/Pkcs12.h"

namespace sealpost::cli {

namespace {

base::Error named(const std::string& path, const base::Error& e) {
    return base::Error{e.code, path + ": " + e.detail};
}

} // namespace

base::Result<std::vector<crypto::Certificate>> loadCertificates(const std::string& path) {
    auto data = readInput(path);
    if (!data) {
        return data.error();
    }
    auto certs = crypto::Certificate::parseAll(base::asBytes(*data));
    if (!certs) {
        return named(path, certs.error());
    }
    return certs;
}

base::Result<crypto::Certificate> loadCertificate(const std::string& path) {
    auto certs = loadCertificates(path);
    if (!certs) {
        return certs.error();
    }
    return certs->front();
}

base::Result<std::string> readPasswordFile(const std::string& path) {
    auto data = readInput(path);
    if (!data) {
        return data.error();
    }
    std::string pw = std::move(*data);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) {
        pw.pop_back();
    }
    return pw;
}

base::Result<std::vector<crypto::Identity>> loadIdentities(const Args& args) {
    std::vector<crypto::Identity> out;
    const auto keys = args.values("--key");
    const auto certs = args.values("--cert");
    if (keys.size() != certs.size()) {
        return base::makeError(base::ErrorCode::InvalidArgument, "every --key needs a --cert (got " +
                                                                     std::to_string(keys.size()) + " keys and " +
                                                                     std::to_string(certs.size()) + " certificates)");
    }
    std::optional<base::SecureString> keyPassword;
    if (auto f = args.value("--key-password-file")) {
        auto pw = readPasswordFile(*f);
        if (!pw) {
            return pw.error();
        }
        keyPassword.emplace(*pw);
        base::secureWipe(pw->data(), pw->size());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto keyData = readInput(keys[i]);
        if (!keyData) {
            return keyData.error();
        }
        auto key = crypto::PrivateKey::parse(
            base::asBytes(*keyData), keyPassword ? std::optional<std::string_view>(keyPassword->view()) : std::nullopt);
        base::secureWipe(keyData->data(), keyData->size());
        if (!key) {
            return named(keys[i], key.error());
        }
        auto chain = loadCertificates(certs[i]);
        if (!chain) {
            return chain.error();
        }
        crypto::Identity id{*key, chain->front(), {chain->begin() + 1, chain->end()}};
        if (auto match = crypto::checkKeyMatchesCertificate(id.key, id.certificate); !match) {
            return named(keys[i], match.error());
        }
        out.push_back(std::move(id));
    }
    const auto p12s = args.values("--p12");
    const auto p12Passwords = args.values("--p12-password-file");
    if (!p12s.empty() && p12Passwords.size() != 1 && p12Passwords.size() != p12s.size()) {
        return base::makeError(base::ErrorCode::InvalidArgument,
                               "give one --p12-password-file for all --p12 files, or one per file");
    }
    for (std::size_t i = 0; i < p12s.size(); ++i) {
        auto pw = readPasswordFile(p12Passwords.size() == 1 ? p12Passwords[0] : p12Passwords[i]);
        if (!pw) {
            return pw.error();
        }
        auto data = readInput(p12s[i]);
        if (!data) {
            return data.error();
        }
        auto id = crypto::parsePkcs12(base::asBytes(*data), *pw);
        base::secureWipe(pw->data(), pw->size());
        if (!id) {
            return named(p12s[i], id.error());
        }
        out.push_back(std::move(*id));
    }
    return out;
}

} // namespace sealpost::cli
