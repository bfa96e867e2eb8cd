#include "crypto/Jose.h"

#include "CryptoTestSupport.h"
#include "crypto/OpenSslHandles.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

namespace sealpost::crypto {
namespace {

using base::ErrorCode;
using test::bytes;
using test::loadKey;

// RFC 7638 section 3.1.
constexpr std::string_view kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h"
    "ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
constexpr std::string_view kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

std::string rfc7638Jwk() {
    return R"({"kty":"RSA","n":")" + std::string(kRfc7638N) + R"(","e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
}

PrivateKey generateEc(const char* curve) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    if (key == nullptr) {
        throw std::runtime_error("cannot generate an EC key");
    }
    return PrivateKey::adopt(key);
}

std::string flattened(std::string_view protectedB64, std::string_view payloadB64, std::string_view signatureB64) {
    return R"({"protected":")" + std::string(protectedB64) + R"(","payload":")" + std::string(payloadB64) +
           R"(","signature":")" + std::string(signatureB64) + R"("})";
}

// The value of a string member of the JSON text signJws writes (no escapes occur in base64url).
std::string member(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    const std::size_t start = json.find(key);
    if (start == std::string::npos) {
        return {};
    }
    const std::size_t from = start + key.size();
    return json.substr(from, json.find('"', from) - from);
}

std::string b64(std::string_view text) {
    return base64UrlEncode(base::asBytes(text));
}

std::string headerFor(const PrivateKey& key) {
    auto alg = jwsAlgorithmFor(PublicKey::of(key));
    return R"({"alg":")" + std::string(jwsAlgorithmName(*alg)) + R"(","nonce":"abc","url":"https://ca.example/acct"})";
}

TEST(JoseTest, Base64UrlEncodesRfc4648Vectors) {
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("f"), "Zg");
    EXPECT_EQ(b64("fo"), "Zm8");
    EXPECT_EQ(b64("foo"), "Zm9v");
    EXPECT_EQ(b64("foob"), "Zm9vYg");
    EXPECT_EQ(b64("fooba"), "Zm9vYmE");
    EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
    const base::Bytes high{0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64UrlEncode(high), "-_-_");
}

TEST(JoseTest, Base64UrlDecodesWhatItEncodes) {
    base::Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = static_cast<std::uint8_t>(i);
    }
    for (std::size_t length = 0; length <= all.size(); ++length) {
        const base::ByteView part(all.data(), length);
        auto decoded = base64UrlDecode(base64UrlEncode(part));
        ASSERT_TRUE(decoded) << length;
        EXPECT_EQ(*decoded, base::Bytes(part.begin(), part.end()));
    }
    auto empty = base64UrlDecode("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(JoseTest, Base64UrlDecodeIsStrict) {
    for (const std::string_view bad :
         std::initializer_list<std::string_view>{"Zg==", "Zg=", "Zm9v+A", "Zm9v/A", "Z", "Zm9vY", "Zh", "Zm9", " Zg",
                                                 "Zg\n", "Zm 9v", std::string_view("Zg\0", 3)}) {
        auto decoded = base64UrlDecode(bad);
        ASSERT_FALSE(decoded) << bad;
        EXPECT_EQ(decoded.error().code, ErrorCode::MalformedInput);
    }
    // "Zm8" is canonical for "fo"; "Zm9" sets unused bits and was rejected above.
    auto fo = base64UrlDecode("Zm8");
    ASSERT_TRUE(fo);
    EXPECT_EQ(base::asString(*fo), "fo");
}

TEST(JoseTest, Rfc7638ThumbprintOfTheExampleKey) {
    auto key = parseJwk(rfc7638Jwk());
    ASSERT_TRUE(key) << key.error().detail;
    EXPECT_EQ(key->type(), KeyType::Rsa);
    EXPECT_EQ(key->bits(), 2048);
    auto canonical = jwkJson(*key);
    ASSERT_TRUE(canonical) << canonical.error().detail;
    EXPECT_EQ(*canonical, R"({"e":"AQAB","kty":"RSA","n":")" + std::string(kRfc7638N) + R"("})");
    auto thumbprint = jwkThumbprint(*key);
    ASSERT_TRUE(thumbprint) << thumbprint.error().detail;
    EXPECT_EQ(*thumbprint, kRfc7638Thumbprint);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JoseTest, KeyAuthorizationIsTokenDotThumbprint) {
    auto key = parseJwk(rfc7638Jwk());
    ASSERT_TRUE(key);
    auto authorization = keyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", *key);
    ASSERT_TRUE(authorization);
    EXPECT_EQ(*authorization, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + std::string(kRfc7638Thumbprint));
}

// RFC 7515 appendix A.3: an ES256 JWS made by someone else, with their R||S signature.
TEST(JoseTest, VerifiesRfc7515AppendixA3) {
    auto key = parseJwk(R"({"kty":"EC","crv":"P-256",)"
                        R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                        R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
    ASSERT_TRUE(key) << key.error().detail;
    const std::string jws =
        flattened("eyJhbGciOiJFUzI1NiJ9",
                  "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
                  "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
    auto verified = verifyJws(jws, *key);
    ASSERT_TRUE(verified) << verified.error().detail;
    EXPECT_EQ(verified->algorithm, JwsAlgorithm::Es256);
    EXPECT_EQ(verified->protectedHeaderJson, R"({"alg":"ES256"})");
    EXPECT_EQ(base::asString(verified->payload),
              "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
    EXPECT_EQ(ERR_peek_error(), 0u);
}

struct AlgorithmCase {
    const char* name;
    JwsAlgorithm algorithm;
    std::size_t signatureBytes;
};

class JoseRoundTrip : public ::testing::TestWithParam<AlgorithmCase> {
protected:
    static PrivateKey keyFor(JwsAlgorithm algorithm) {
        switch (algorithm) {
        case JwsAlgorithm::Rs256: return loadKey("alice.key.pem");
        case JwsAlgorithm::Es256: return loadKey("bob.key.pem");
        case JwsAlgorithm::Es384: return generateEc("P-384");
        }
        throw std::logic_error("unknown algorithm");
    }
};

TEST_P(JoseRoundTrip, JwkParsesBackToTheSameKey) {
    const PrivateKey key = keyFor(GetParam().algorithm);
    auto algorithm = jwsAlgorithmFor(PublicKey::of(key));
    ASSERT_TRUE(algorithm);
    EXPECT_EQ(*algorithm, GetParam().algorithm);
    auto json = jwkJson(PublicKey::of(key));
    ASSERT_TRUE(json) << json.error().detail;
    auto parsed = parseJwk(*json);
    ASSERT_TRUE(parsed) << parsed.error().detail;
    EXPECT_TRUE(parsed->sameAs(PublicKey::of(key)));
    EXPECT_EQ(*jwkJson(*parsed), *json);
    EXPECT_EQ(jwkThumbprint(*parsed)->size(), 43u);
}

TEST_P(JoseRoundTrip, SignsAndVerifies) {
    const PrivateKey key = keyFor(GetParam().algorithm);
    const std::string header = headerFor(key);
    for (const std::string_view payload : {std::string_view(R"({"termsOfServiceAgreed":true})"), std::string_view()}) {
        auto jws = signJws(key, header, base::asBytes(payload));
        ASSERT_TRUE(jws) << jws.error().detail;
        auto signature = base64UrlDecode(member(*jws, "signature"));
        ASSERT_TRUE(signature);
        EXPECT_EQ(signature->size(), GetParam().signatureBytes);
        EXPECT_EQ(member(*jws, "payload"), b64(payload));
        auto verified = verifyJws(*jws, PublicKey::of(key));
        ASSERT_TRUE(verified) << verified.error().detail;
        EXPECT_EQ(verified->algorithm, GetParam().algorithm);
        EXPECT_EQ(verified->protectedHeaderJson, header);
        EXPECT_EQ(base::asString(verified->payload), payload);
        auto peeked = unverifiedProtectedHeader(*jws);
        ASSERT_TRUE(peeked);
        EXPECT_EQ(*peeked, header);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_P(JoseRoundTrip, TamperingIsDetected) {
    const PrivateKey key = keyFor(GetParam().algorithm);
    const PublicKey publicKey = PublicKey::of(key);
    auto jws = signJws(key, headerFor(key), base::asBytes(std::string_view("pay me")));
    ASSERT_TRUE(jws);
    const std::string protectedB64 = member(*jws, "protected");
    const std::string payloadB64 = member(*jws, "payload");
    std::string signatureB64 = member(*jws, "signature");
    ASSERT_TRUE(verifyJws(flattened(protectedB64, payloadB64, signatureB64), publicKey));

    auto otherPayload = verifyJws(flattened(protectedB64, b64("pay you"), signatureB64), publicKey);
    ASSERT_FALSE(otherPayload);
    EXPECT_EQ(otherPayload.error().code, ErrorCode::AuthFailed);

    const std::string otherHeader = headerFor(key) + " ";
    auto header = verifyJws(flattened(b64(otherHeader), payloadB64, signatureB64), publicKey);
    ASSERT_FALSE(header);
    EXPECT_EQ(header.error().code, ErrorCode::AuthFailed);

    std::string flipped = signatureB64;
    flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
    auto badSignature = verifyJws(flattened(protectedB64, payloadB64, flipped), publicKey);
    ASSERT_FALSE(badSignature);
    EXPECT_EQ(badSignature.error().code, ErrorCode::AuthFailed);

    auto truncated =
        verifyJws(flattened(protectedB64, payloadB64, signatureB64.substr(0, signatureB64.size() - 4)), publicKey);
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().code, ErrorCode::MalformedInput);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JoseRoundTrip,
                         ::testing::Values(AlgorithmCase{"RS256", JwsAlgorithm::Rs256, 256},
                                           AlgorithmCase{"ES256", JwsAlgorithm::Es256, 64},
                                           AlgorithmCase{"ES384", JwsAlgorithm::Es384, 96}),
                         [](const auto& instance) { return std::string(instance.param.name); });

TEST(JoseTest, AnotherKeyDoesNotVerify) {
    const PrivateKey signer = generateEc("P-256");
    auto jws = signJws(signer, R"({"alg":"ES256"})", base::asBytes(std::string_view("x")));
    ASSERT_TRUE(jws);
    auto result = verifyJws(*jws, PublicKey::of(generateEc("P-256")));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::AuthFailed);
}

TEST(JoseTest, AlgorithmMustMatchTheKey) {
    const PrivateKey ec = loadKey("bob.key.pem");
    auto jws = signJws(ec, R"({"alg":"ES256"})", base::asBytes(std::string_view("x")));
    ASSERT_TRUE(jws);
    auto withRsa = verifyJws(*jws, PublicKey::of(loadKey("alice.key.pem")));
    ASSERT_FALSE(withRsa);
    EXPECT_EQ(withRsa.error().code, ErrorCode::Unsupported);
    auto withP384 = verifyJws(*jws, PublicKey::of(generateEc("P-384")));
    ASSERT_FALSE(withP384);
    EXPECT_EQ(withP384.error().code, ErrorCode::Unsupported);

    // The header's alg is checked too: an ES256 signature claimed as ES384 or RS256.
    const std::string sig = member(*jws, "signature");
    const std::string payload = member(*jws, "payload");
    auto relabelled = verifyJws(flattened(b64(R"({"alg":"RS256"})"), payload, sig), PublicKey::of(ec));
    ASSERT_FALSE(relabelled);
    EXPECT_EQ(relabelled.error().code, ErrorCode::Unsupported);
}

TEST(JoseTest, RejectsNoneCritAndUnprotectedHeaders) {
    const PublicKey key = PublicKey::of(loadKey("bob.key.pem"));
    auto none = verifyJws(flattened(b64(R"({"alg":"none"})"), b64("x"), ""), key);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::Unsupported);

    const PrivateKey signer = loadKey("bob.key.pem");
    auto crit = signJws(signer, R"({"alg":"ES256","crit":["b64"],"b64":false})", {});
    ASSERT_TRUE(crit);
    auto critResult = verifyJws(*crit, key);
    ASSERT_FALSE(critResult);
    EXPECT_EQ(critResult.error().code, ErrorCode::Unsupported);

    auto jws = signJws(signer, R"({"alg":"ES256"})", {});
    ASSERT_TRUE(jws);
    std::string withHeader = *jws;
    withHeader.insert(1, R"("header":{"kid":"x"},)");
    auto unprotected = verifyJws(withHeader, key);
    ASSERT_FALSE(unprotected);
    EXPECT_EQ(unprotected.error().code, ErrorCode::MalformedInput);

    const std::string padded = flattened(member(*jws, "protected"), "", member(*jws, "signature") + "==");
    auto paddedResult = verifyJws(padded, key);
    ASSERT_FALSE(paddedResult);
    EXPECT_EQ(paddedResult.error().code, ErrorCode::MalformedInput);

    for (const std::string_view bad : {"", "[]", "{}", R"({"protected":"","payload":""})", "not json"}) {
        auto result = verifyJws(bad, key);
        ASSERT_FALSE(result) << bad;
        EXPECT_EQ(result.error().code, ErrorCode::MalformedInput) << bad;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JoseTest, SignRefusesAHeaderWithTheWrongAlg) {
    const PrivateKey key = loadKey("bob.key.pem");
    for (const std::string_view header :
         {R"({"alg":"RS256"})", R"({"alg":"none"})", R"({"nonce":"x"})", R"(["alg"])", "{", R"({"alg":1})"}) {
        auto jws = signJws(key, header, {});
        ASSERT_FALSE(jws) << header;
        EXPECT_EQ(jws.error().code, ErrorCode::InvalidArgument) << header;
    }
}

TEST(JoseTest, EcCoordinatesKeepTheirFullLength) {
    // Find a P-256 key whose x coordinate starts with a zero octet (about one in 256).
    for (int attempt = 0; attempt < 4000; ++attempt) {
        const PrivateKey key = generateEc("P-256");
        BIGNUM* raw = nullptr;
        ASSERT_EQ(EVP_PKEY_get_bn_param(key.native(), OSSL_PKEY_PARAM_EC_PUB_X, &raw), 1);
        const OsslPtr<BIGNUM> x(raw);
        if (BN_num_bytes(x.get()) == 32) {
            continue;
        }
        auto json = jwkJson(PublicKey::of(key));
        ASSERT_TRUE(json);
        const std::string xB64 = member(*json, "x");
        EXPECT_EQ(xB64.size(), 43u);
        EXPECT_EQ(xB64.substr(0, 1), "A");
        auto parsed = parseJwk(*json);
        ASSERT_TRUE(parsed) << parsed.error().detail;
        EXPECT_TRUE(parsed->sameAs(PublicKey::of(key)));
        return;
    }
    FAIL() << "no key with a short x coordinate in 4000 attempts";
}

TEST(JoseTest, ParseJwkRejectsBadKeys) {
    const std::string x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const std::string y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    const std::string n(kRfc7638N);
    struct Case {
        std::string json;
        ErrorCode code;
    };
    const std::vector<Case> cases = {
        {"not json", ErrorCode::MalformedInput},
        {"[]", ErrorCode::MalformedInput},
        {R"({"n":")" + n + R"(","e":"AQAB"})", ErrorCode::MalformedInput},
        {R"({"kty":"oct","k":"AAAA"})", ErrorCode::Unsupported},
        {R"({"kty":"OKP","crv":"Ed25519","x":")" + x + R"("})", ErrorCode::Unsupported},
        {R"({"kty":"RSA","e":"AQAB"})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":")" + n + R"("})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":")" + n + R"(","e":""})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB=="})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":")" + n + R"(","e":"AAEAAQ"})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":"AA)" + n + R"(","e":"AQAB"})", ErrorCode::MalformedInput},
        {R"({"kty":"RSA","n":")" + n.substr(0, 172) + R"(","e":"AQAB"})", ErrorCode::Unsupported},
        {R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","d":"AQAB"})", ErrorCode::InvalidArgument},
        {R"({"kty":"EC","x":")" + x + R"(","y":")" + y + R"("})", ErrorCode::MalformedInput},
        {R"({"kty":"EC","crv":"P-521","x":")" + x + R"(","y":")" + y + R"("})", ErrorCode::Unsupported},
        {R"({"kty":"EC","crv":"P-384","x":")" + x + R"(","y":")" + y + R"("})", ErrorCode::MalformedInput},
        {R"({"kty":"EC","crv":"P-256","x":")" + x + R"("})", ErrorCode::MalformedInput},
        {R"({"kty":"EC","crv":"P-256","x":")" + x.substr(0, 42) + R"(","y":")" + y + R"("})",
         ErrorCode::MalformedInput},
        {R"({"kty":"EC","crv":"P-256","x":"AA)" + x + R"(","y":")" + y + R"("})", ErrorCode::MalformedInput},
        // y with its first character changed: the point is not on the curve.
        {R"({"kty":"EC","crv":"P-256","x":")" + x + R"(","y":"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
         ErrorCode::MalformedInput},
        {R"({"kty":"EC","crv":"P-256","x":1,"y":")" + y + R"("})", ErrorCode::MalformedInput},
    };
    for (const Case& c : cases) {
        auto key = parseJwk(c.json);
        ASSERT_FALSE(key) << c.json;
        EXPECT_EQ(key.error().code, c.code) << c.json << ": " << key.error().detail;
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(JoseTest, SmallRsaKeysAreNotJwsKeys) {
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
    ASSERT_NE(raw, nullptr);
    const PrivateKey key = PrivateKey::adopt(raw);
    auto algorithm = jwsAlgorithmFor(PublicKey::of(key));
    ASSERT_FALSE(algorithm);
    EXPECT_EQ(algorithm.error().code, ErrorCode::Unsupported);
    EXPECT_FALSE(jwkJson(PublicKey::of(key)));
    EXPECT_FALSE(signJws(key, R"({"alg":"RS256"})", {}));
}

} // namespace
} // namespace sealpost::crypto
