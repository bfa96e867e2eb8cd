#include "crypto/Jose.h"

#include "crypto/OpenSslError.h"
#include "crypto/OpenSslHandles.h"

#include <array>
#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <optional>

namespace sealpost::crypto {

using base::ErrorCode;
using base::makeError;
using Json = nlohmann::json;

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kMinRsaBits = 2048; // RFC 7518 section 3.3
constexpr int kMaxRsaBits = 8192; // bounds the cost of a verification a peer can make us do

struct ParamBldDeleter {
    void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

int decodeChar(char c) {
    const std::size_t pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

struct Curve {
    const char* jwkName;   // "crv"
    const char* groupName; // OpenSSL's
    std::size_t coordinateBytes;
    JwsAlgorithm algorithm;
};
constexpr std::array<Curve, 2> kCurves{{
    {"P-256", SN_X9_62_prime256v1, 32, JwsAlgorithm::Es256},
    {"P-384", SN_secp384r1, 48, JwsAlgorithm::Es384},
}};

std::optional<Curve> curveOf(const PublicKey& key) {
    std::array<char, 64> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key.native(), name.data(), name.size(), &length) != 1) {
        clearOpenSslErrors();
        return std::nullopt;
    }
    int nid = OBJ_sn2nid(name.data());
    if (nid == NID_undef) {
        nid = EC_curve_nist2nid(name.data());
    }
    for (const Curve& curve : kCurves) {
        if (OBJ_sn2nid(curve.groupName) == nid) {
            return curve;
        }
    }
    return std::nullopt;
}

base::Result<base::Bytes> bnParam(const PublicKey& key, const char* name, std::size_t padTo) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key.native(), name, &raw) != 1) {
        return openSslError(ErrorCode::CryptoFailure, std::string("cannot read key parameter ") + name);
    }
    const OsslPtr<BIGNUM> bn(raw);
    const std::size_t size = padTo != 0 ? padTo : static_cast<std::size_t>(BN_num_bytes(bn.get()));
    base::Bytes out(size);
    if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(size)) < 0) {
        return openSslError(ErrorCode::CryptoFailure, std::string("key parameter too long: ") + name);
    }
    return out;
}

std::string b64(const base::Bytes& bytes) {
    return base64UrlEncode(bytes);
}

const EVP_MD* digestFor(JwsAlgorithm algorithm) {
    return algorithm == JwsAlgorithm::Es384 ? EVP_sha384() : EVP_sha256();
}

std::size_t ecCoordinateBytes(JwsAlgorithm algorithm) {
    return algorithm == JwsAlgorithm::Es384 ? 48 : 32;
}

std::optional<Json> parseObject(std::string_view text) {
    Json json = Json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return std::nullopt;
    }
    return json;
}

const std::string* stringMember(const Json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

base::Result<PublicKey> keyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
    const std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(builder));
    const OsslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        clearOpenSslErrors();
        return makeError(ErrorCode::MalformedInput, "the JWK is not a valid public key");
    }
    PublicKey result = PublicKey::adopt(key);
    const OsslPtr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        clearOpenSslErrors();
        return makeError(ErrorCode::MalformedInput, "the JWK is not a valid public key");
    }
    return result;
}

base::Result<base::Bytes> jwkMember(const Json& jwk, const char* name) {
    const std::string* text = stringMember(jwk, name);
    if (text == nullptr) {
        return makeError(ErrorCode::MalformedInput, std::string("the JWK has no string member ") + name);
    }
    auto bytes = base64UrlDecode(*text);
    if (!bytes || bytes->empty()) {
        return makeError(ErrorCode::MalformedInput, std::string("the JWK member is not base64url: ") + name);
    }
    return bytes;
}

base::Result<PublicKey> parseRsaJwk(const Json& jwk) {
    auto n = jwkMember(jwk, "n");
    if (!n) {
        return n.error();
    }
    auto e = jwkMember(jwk, "e");
    if (!e) {
        return e.error();
    }
    if (n->front() == 0 || e->front() == 0) {
        return makeError(ErrorCode::MalformedInput, "the JWK's RSA integers have leading zero octets");
    }
    const auto bits = static_cast<int>(n->size() * 8);
    if (bits < kMinRsaBits || bits > kMaxRsaBits + 7) {
        return makeError(ErrorCode::Unsupported, "the JWK's RSA modulus is outside 2048..8192 bits");
    }
    const OsslPtr<BIGNUM> bnN(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
    const OsslPtr<BIGNUM> bnE(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
    const std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> builder(OSSL_PARAM_BLD_new());
    if (!bnN || !bnE || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bnN.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bnE.get()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot build RSA key parameters");
    }
    auto key = keyFromParams("RSA", builder.get());
    if (key && (key->bits() < kMinRsaBits || key->bits() > kMaxRsaBits)) {
        return makeError(ErrorCode::Unsupported, "the JWK's RSA modulus is outside 2048..8192 bits");
    }
    return key;
}

base::Result<PublicKey> parseEcJwk(const Json& jwk) {
    const std::string* crv = stringMember(jwk, "crv");
    if (crv == nullptr) {
        return makeError(ErrorCode::MalformedInput, "the EC JWK has no \"crv\"");
    }
    const Curve* curve = nullptr;
    for (const Curve& c : kCurves) {
        if (*crv == c.jwkName) {
            curve = &c;
        }
    }
    if (curve == nullptr) {
        return makeError(ErrorCode::Unsupported, "unsupported JWK curve: " + *crv);
    }
    auto x = jwkMember(jwk, "x");
    if (!x) {
        return x.error();
    }
    auto y = jwkMember(jwk, "y");
    if (!y) {
        return y.error();
    }
    if (x->size() != curve->coordinateBytes || y->size() != curve->coordinateBytes) {
        return makeError(ErrorCode::MalformedInput, "the JWK's EC coordinates have the wrong length");
    }
    base::Bytes point{POINT_CONVERSION_UNCOMPRESSED};
    point.insert(point.end(), x->begin(), x->end());
    point.insert(point.end(), y->begin(), y->end());
    const std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> builder(OSSL_PARAM_BLD_new());
    if (!builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->groupName, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot build EC key parameters");
    }
    return keyFromParams("EC", builder.get());
}

// ECDSA in JWS is R||S with each half the curve's length (RFC 7518 section 3.4); OpenSSL uses DER.
base::Result<base::Bytes> derToRawEcdsa(const base::Bytes& der, std::size_t half) {
    const unsigned char* p = der.data();
    const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) {
        return openSslError(ErrorCode::CryptoFailure, "cannot decode the ECDSA signature");
    }
    base::Bytes raw(2 * half);
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), static_cast<int>(half)) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + half, static_cast<int>(half)) < 0) {
        return openSslError(ErrorCode::CryptoFailure, "ECDSA signature too long");
    }
    return raw;
}

base::Result<base::Bytes> rawToDerEcdsa(const base::Bytes& raw) {
    const std::size_t half = raw.size() / 2;
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return openSslError(ErrorCode::CryptoFailure, "cannot build the ECDSA signature");
    }
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (length <= 0) {
        return openSslError(ErrorCode::CryptoFailure, "cannot encode the ECDSA signature");
    }
    base::Bytes der(static_cast<std::size_t>(length));
    unsigned char* p = der.data();
    i2d_ECDSA_SIG(sig.get(), &p);
    return der;
}

struct FlattenedJws {
    std::string protectedB64;
    std::string payloadB64;
    std::string signatureB64;
};

base::Result<FlattenedJws> splitFlattened(std::string_view jws) {
    const auto json = parseObject(jws);
    if (!json) {
        return makeError(ErrorCode::MalformedInput, "the JWS is not a JSON object");
    }
    for (const auto& [name, value] : json->items()) {
        if (name != "protected" && name != "payload" && name != "signature") {
            return makeError(ErrorCode::MalformedInput, "unexpected member in the flattened JWS: " + name);
        }
    }
    const std::string* protectedB64 = stringMember(*json, "protected");
    const std::string* payloadB64 = stringMember(*json, "payload");
    const std::string* signatureB64 = stringMember(*json, "signature");
    if (protectedB64 == nullptr || payloadB64 == nullptr || signatureB64 == nullptr) {
        return makeError(ErrorCode::MalformedInput, R"(the JWS lacks "protected", "payload" or "signature")");
    }
    return FlattenedJws{*protectedB64, *payloadB64, *signatureB64};
}

} // namespace

std::string base64UrlEncode(base::ByteView data) {
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const std::uint32_t v = std::uint32_t{data[i]} << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

base::Result<base::Bytes> base64UrlDecode(std::string_view text) {
    if (text.size() % 4 == 1) {
        return makeError(ErrorCode::MalformedInput, "base64url text has an impossible length");
    }
    base::Bytes out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = decodeChar(c);
        if (value < 0) {
            return makeError(ErrorCode::MalformedInput, "invalid character in base64url text");
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFF));
        }
    }
    if ((buffer & ((1U << bits) - 1)) != 0) {
        return makeError(ErrorCode::MalformedInput, "base64url text has non-zero unused bits");
    }
    return out;
}

std::string_view jwsAlgorithmName(JwsAlgorithm algorithm) noexcept {
    switch (algorithm) {
    case JwsAlgorithm::Rs256: return "RS256";
    case JwsAlgorithm::Es256: return "ES256";
    case JwsAlgorithm::Es384: return "ES384";
    }
    return "";
}

base::Result<JwsAlgorithm> jwsAlgorithmFor(const PublicKey& key) {
    switch (EVP_PKEY_get_base_id(key.native())) {
    case EVP_PKEY_RSA:
        if (key.bits() < kMinRsaBits || key.bits() > kMaxRsaBits) {
            return makeError(ErrorCode::Unsupported, "RSA keys for JWS must have 2048 to 8192 bits");
        }
        return JwsAlgorithm::Rs256;
    case EVP_PKEY_EC:
        if (const auto curve = curveOf(key)) {
            return curve->algorithm;
        }
        return makeError(ErrorCode::Unsupported, "EC keys for JWS must be on P-256 or P-384");
    default: return makeError(ErrorCode::Unsupported, "JWS keys must be RSA or EC");
    }
}

base::Result<std::string> jwkJson(const PublicKey& key) {
    auto algorithm = jwsAlgorithmFor(key);
    if (!algorithm) {
        return algorithm.error();
    }
    // Written by hand: the member order and the absence of whitespace are what the thumbprint hashes.
    if (*algorithm == JwsAlgorithm::Rs256) {
        auto n = bnParam(key, OSSL_PKEY_PARAM_RSA_N, 0);
        auto e = bnParam(key, OSSL_PKEY_PARAM_RSA_E, 0);
        if (!n || !e) {
            return !n ? n.error() : e.error();
        }
        return R"({"e":")" + b64(*e) + R"(","kty":"RSA","n":")" + b64(*n) + R"("})";
    }
    const auto curve = curveOf(key);
    auto x = bnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, curve->coordinateBytes);
    auto y = bnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, curve->coordinateBytes);
    if (!x || !y) {
        return !x ? x.error() : y.error();
    }
    return R"({"crv":")" + std::string(curve->jwkName) + R"(","kty":"EC","x":")" + b64(*x) + R"(","y":")" + b64(*y) +
           R"("})";
}

base::Result<std::string> jwkThumbprint(const PublicKey& key) {
    auto json = jwkJson(key);
    if (!json) {
        return json.error();
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(json->data(), json->size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot hash the JWK");
    }
    return base64UrlEncode(base::ByteView(digest.data(), length));
}

base::Result<PublicKey> parseJwk(std::string_view json) {
    const auto jwk = parseObject(json);
    if (!jwk) {
        return makeError(ErrorCode::MalformedInput, "the JWK is not a JSON object");
    }
    if (jwk->contains("d")) {
        return makeError(ErrorCode::InvalidArgument, "the JWK contains private key material");
    }
    const std::string* kty = stringMember(*jwk, "kty");
    if (kty == nullptr) {
        return makeError(ErrorCode::MalformedInput, "the JWK has no \"kty\"");
    }
    if (*kty == "RSA") {
        return parseRsaJwk(*jwk);
    }
    if (*kty == "EC") {
        return parseEcJwk(*jwk);
    }
    return makeError(ErrorCode::Unsupported, "unsupported JWK key type: " + *kty);
}

base::Result<std::string> keyAuthorization(std::string_view token, const PublicKey& accountKey) {
    auto thumbprint = jwkThumbprint(accountKey);
    if (!thumbprint) {
        return thumbprint.error();
    }
    return std::string(token) + "." + *thumbprint;
}

base::Result<std::string> signJws(const PrivateKey& key, std::string_view protectedHeaderJson, base::ByteView payload) {
    auto algorithm = jwsAlgorithmFor(PublicKey::of(key));
    if (!algorithm) {
        return algorithm.error();
    }
    const auto header = parseObject(protectedHeaderJson);
    const std::string* alg = header ? stringMember(*header, "alg") : nullptr;
    if (alg == nullptr || *alg != jwsAlgorithmName(*algorithm)) {
        return makeError(ErrorCode::InvalidArgument, R"(the protected header must be a JSON object with "alg":")" +
                                                         std::string(jwsAlgorithmName(*algorithm)) + "\"");
    }
    const std::string protectedB64 = base64UrlEncode(base::asBytes(protectedHeaderJson));
    const std::string payloadB64 = base64UrlEncode(payload);
    const std::string signingInput = protectedB64 + "." + payloadB64;

    const OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digestFor(*algorithm), nullptr, key.native()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, base::asBytes(signingInput).data(), signingInput.size()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot sign the JWS");
    }
    base::Bytes signature(length);
    if (EVP_DigestSign(ctx.get(), signature.data(), &length, base::asBytes(signingInput).data(), signingInput.size()) !=
        1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot sign the JWS");
    }
    signature.resize(length);
    if (*algorithm != JwsAlgorithm::Rs256) {
        auto raw = derToRawEcdsa(signature, ecCoordinateBytes(*algorithm));
        if (!raw) {
            return raw.error();
        }
        signature = std::move(*raw);
    }
    const Json out = {{"protected", protectedB64}, {"payload", payloadB64}, {"signature", base64UrlEncode(signature)}};
    return out.dump();
}

base::Result<std::string> unverifiedProtectedHeader(std::string_view jws) {
    auto parts = splitFlattened(jws);
    if (!parts) {
        return parts.error();
    }
    auto header = base64UrlDecode(parts->protectedB64);
    if (!header) {
        return makeError(ErrorCode::MalformedInput, "the JWS protected header is not base64url");
    }
    return std::string(base::asString(*header));
}

base::Result<VerifiedJws> verifyJws(std::string_view jws, const PublicKey& key) {
    auto parts = splitFlattened(jws);
    if (!parts) {
        return parts.error();
    }
    auto headerBytes = base64UrlDecode(parts->protectedB64);
    auto payload = base64UrlDecode(parts->payloadB64);
    auto signature = base64UrlDecode(parts->signatureB64);
    if (!headerBytes || !payload || !signature) {
        return makeError(ErrorCode::MalformedInput, "a JWS member is not base64url");
    }
    std::string headerJson(base::asString(*headerBytes));
    const auto header = parseObject(headerJson);
    const std::string* alg = header ? stringMember(*header, "alg") : nullptr;
    if (alg == nullptr) {
        return makeError(ErrorCode::MalformedInput, "the JWS protected header is not a JSON object with \"alg\"");
    }
    if (header->contains("crit")) {
        return makeError(ErrorCode::Unsupported, "the JWS names critical header extensions");
    }
    auto algorithm = jwsAlgorithmFor(key);
    if (!algorithm) {
        return algorithm.error();
    }
    if (*alg != jwsAlgorithmName(*algorithm)) {
        return makeError(ErrorCode::Unsupported, "the JWS \"alg\" " + *alg + " is not the key's algorithm " +
                                                     std::string(jwsAlgorithmName(*algorithm)));
    }
    base::Bytes toVerify;
    if (*algorithm == JwsAlgorithm::Rs256) {
        if (signature->size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.native()))) {
            return makeError(ErrorCode::MalformedInput, "the RS256 signature does not have the modulus' length");
        }
        toVerify = std::move(*signature);
    } else {
        if (signature->size() != 2 * ecCoordinateBytes(*algorithm)) {
            return makeError(ErrorCode::MalformedInput, "the ECDSA signature does not have the curve's length");
        }
        auto der = rawToDerEcdsa(*signature);
        if (!der) {
            return der.error();
        }
        toVerify = std::move(*der);
    }
    const std::string signingInput = parts->protectedB64 + "." + parts->payloadB64;
    const OsslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digestFor(*algorithm), nullptr, key.native()) != 1) {
        return openSslError(ErrorCode::CryptoFailure, "cannot set up JWS verification");
    }
    if (EVP_DigestVerify(ctx.get(), toVerify.data(), toVerify.size(), base::asBytes(signingInput).data(),
                         signingInput.size()) != 1) {
        clearOpenSslErrors();
        return makeError(ErrorCode::AuthFailed, "the JWS signature does not verify");
    }
    return VerifiedJws{*algorithm, std::move(headerJson), std::move(*payload)};
}

} // namespace sealpost::crypto
