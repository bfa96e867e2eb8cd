#pragma once
// The parts of JOSE that ACME (RFC 8555) needs: base64url (RFC 4648 section 5, unpadded), public
// JWKs (RFC 7517/7518) with their thumbprint (RFC 7638), and JWS in the flattened JSON
// serialization (RFC 7515) with RS256, ES256 and ES384.

#include "base/Bytes.h"
#include "base/Result.h"
#include "crypto/PrivateKey.h"
#include "crypto/PublicKey.h"

#include <string>
#include <string_view>

namespace sealpost::crypto {

// Unpadded base64url.
[[nodiscard]] std::string base64UrlEncode(base::ByteView data);
// Strict: rejects padding, characters outside the base64url alphabet (including whitespace), a
// length that no encoding produces, and non-zero unused bits in the last character.
[[nodiscard]] base::Result<base::Bytes> base64UrlDecode(std::string_view text);

enum class JwsAlgorithm { Rs256, Es256, Es384 };

// "RS256", "ES256", "ES384".
[[nodiscard]] std::string_view jwsAlgorithmName(JwsAlgorithm algorithm) noexcept;
// The one algorithm a key signs with: RSA (2048 to 8192 bits) -> RS256, P-256 -> ES256, P-384 ->
// ES384. Anything else is Unsupported.
[[nodiscard]] base::Result<JwsAlgorithm> jwsAlgorithmFor(const PublicKey& key);

// The public JWK with only the required members, in lexicographic order and without whitespace
// (RFC 7638 section 3.2): {"e","kty","n"} for RSA, {"crv","kty","x","y"} for EC with coordinates
// of the curve's full length. This is also the form to put in a JWS "jwk" header.
[[nodiscard]] base::Result<std::string> jwkJson(const PublicKey& key);
// base64url(SHA-256(jwkJson(key))).
[[nodiscard]] base::Result<std::string> jwkThumbprint(const PublicKey& key);
// A public RSA or EC (P-256, P-384) JWK as a JSON object. Members other than the required ones are
// ignored except "d" (private material is refused). Wrong lengths, leading zero octets in RSA
// integers, points off the curve and RSA keys outside 2048..8192 bits are MalformedInput or
// Unsupported.
[[nodiscard]] base::Result<PublicKey> parseJwk(std::string_view json);

// ACME key authorization (RFC 8555 section 8.1): token "." thumbprint of the account key.
[[nodiscard]] base::Result<std::string> keyAuthorization(std::string_view token, const PublicKey& accountKey);

// Signs in the flattened JSON serialization: {"payload":...,"protected":...,"signature":...}.
// `protectedHeaderJson` is used as given and must be a JSON object whose "alg" is the key's
// algorithm (InvalidArgument otherwise). An empty payload is ACME's POST-as-GET.
[[nodiscard]] base::Result<std::string> signJws(const PrivateKey& key, std::string_view protectedHeaderJson,
                                                base::ByteView payload);

struct VerifiedJws {
    JwsAlgorithm algorithm;
    std::string protectedHeaderJson; // decoded, as the signer wrote it
    base::Bytes payload;             // decoded; empty for POST-as-GET
};

// Verifies a flattened JWS against `key`. Errors: MalformedInput (not a flattened JWS, bad
// base64url, an unprotected "header", a signature of the wrong length), Unsupported ("alg" not
// the key's algorithm, "none", or a "crit" header), AuthFailed (the signature does not verify).
[[nodiscard]] base::Result<VerifiedJws> verifyJws(std::string_view jws, const PublicKey& key);

// The decoded protected header of a flattened JWS, NOT verified: for finding the key to verify
// with ("jwk" or "kid"), after which verifyJws must be called.
[[nodiscard]] base::Result<std::string> unverifiedProtectedHeader(std::string_view jws);

} // namespace sealpost::crypto
