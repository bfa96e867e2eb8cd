#!/usr/bin/env bash
# Regenerates the Sealpost test PKI and golden S/MIME messages in this directory.
#
# Requirements: openssl 3.0 and faketime (Debian packages "openssl", "faketime").
# Keys are random, so every run produces new (but equivalent) files; the
# generated files are checked in and tests must not depend on key material
# beyond what README.md documents.
#
# Fixed clock: certificate validity dates are set explicitly with
# `openssl ca -startdate/-enddate`; every `openssl cms` call runs under a
# frozen faketime clock of 2026-01-15 12:00:00 UTC, so signingTime is fixed.
# Tests should use "now" = 2026-06-01T00:00:00Z (epoch 1780272000).
set -euo pipefail

export TZ=UTC
export LC_ALL=C

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

SIGN_TIME='2026-01-15 12:00:00'
DATE_HDR='Thu, 15 Jan 2026 12:00:00 +0000'
NORMAL_START='20250101000000Z'
NORMAL_END='20350101000000Z'

ALICE='Alice Test <alice@example.org>'
BOB='Bob Test <bob@example.org>'
CAROL='Carol Test <carol@example.org>'

# ---------------------------------------------------------------- helpers ---

# openssl with a frozen clock (no '@' prefix => the clock does not advance).
fossl() { faketime -f "$SIGN_TIME" openssl "$@"; }

# Convert every bare LF to CRLF (idempotent; leaves existing CRLF untouched,
# so content that was already CRLF before signing keeps its exact bytes).
crlf() { perl -0777 -pi -e 's/(?<!\r)\n/\r\n/g' "$1"; }

# Writes LF text from stdin to $1 and converts it to CRLF.
text_crlf() { cat >"$1"; crlf "$1"; }

# Outer RFC 5322 header block: hdrs FROM TO SUBJECT MSGID
hdrs() {
    printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@sealpost.test>\r\n' \
        "$1" "$2" "$3" "$DATE_HDR" "$4"
}

# Removes the leading "MIME-Version: 1.0" line that openssl writes, so an
# openssl S/MIME entity can be embedded as a body part.
strip_mime_version() { perl -0777 -pi -e 's/\AMIME-Version: 1\.0\r\n//' "$1"; }

# sign_detached IN OUT NAME  (NAME = alice, eve-expired, ...)
sign_detached() {
    local extra=()
    case "$3" in
        dave-untrusted) ;;                                # other root: no chain
        *) extra=(-certfile "$OUT/chain.pem") ;;
    esac
    fossl cms -sign -binary -md sha256 -crlfeol -in "$1" -out "$2" \
        -signer "$OUT/$3.cert.pem" -inkey "$OUT/$3.key.pem" "${extra[@]}"
    crlf "$2"
}

# sign_opaque IN OUT NAME
sign_opaque() {
    fossl cms -sign -nodetach -binary -md sha256 -crlfeol -in "$1" -out "$2" \
        -signer "$OUT/$3.cert.pem" -inkey "$OUT/$3.key.pem" -certfile "$OUT/chain.pem"
    crlf "$2"
}

# encrypt IN OUT CIPHER RECIPIENT... (recipient args passed through verbatim)
encrypt() {
    local in="$1" out="$2" cipher="$3"
    shift 3
    fossl cms -encrypt -binary -crlfeol "$cipher" -in "$in" -out "$out" "$@"
    crlf "$out"
}

# assemble OUT HEADERFILE ENTITY: outer headers followed by an S/MIME entity.
assemble() { cat "$2" "$3" >"$1"; crlf "$1"; }

# Saves the innermost plaintext payload of a message for tests to compare.
save_payload() { mkdir -p "$OUT/parts"; cp "$1" "$OUT/parts/$2.payload.mime"; }

# -------------------------------------------------------------------- PKI ---

cat >"$WORK/ca.cnf" <<'EOF'
[ ca ]
default_ca = CA_default

[ CA_default ]
dir             = .
database        = $dir/index.txt
serial          = $dir/serial
new_certs_dir   = $dir/newcerts
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = yes
preserve        = yes

[ policy_any ]
organizationName = optional
commonName       = supplied
emailAddress     = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ v3_root ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_user_rsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = emailProtection
subjectAltName         = email:${ENV::SAN_EMAIL}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_user_ec ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyAgreement
extendedKeyUsage       = emailProtection
subjectAltName         = email:${ENV::SAN_EMAIL}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_user_clientauth ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectAltName         = email:${ENV::SAN_EMAIL}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
mkdir -p "$WORK/newcerts"
: >"$WORK/index.txt"
export SAN_EMAIL=unused@example.invalid

gen_rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
gen_ec() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1"
}

# issue NAME SUBJ EXT ISSUER START END   (ISSUER "self" for a self-signed root)
issue() {
    local name="$1" subj="$2" ext="$3" issuer="$4" start="$5" end="$6"
    openssl req -new -config "$WORK/ca.cnf" -key "$OUT/$name.key.pem" -subj "$subj" \
        -out "$WORK/$name.csr"
    local signargs
    if [[ "$issuer" == self ]]; then
        signargs=(-selfsign -keyfile "$OUT/$name.key.pem")
    else
        signargs=(-cert "$OUT/$issuer.cert.pem" -keyfile "$OUT/$issuer.key.pem")
    fi
    (cd "$WORK" && openssl ca -batch -notext -config ca.cnf -preserveDN -rand_serial \
        -md sha256 -startdate "$start" -enddate "$end" -extensions "$ext" \
        "${signargs[@]}" -in "$name.csr" -out "$OUT/$name.cert.pem" 2>"$WORK/ca.log") \
        || { cat "$WORK/ca.log" >&2; exit 1; }
}

echo "== PKI"
gen_rsa "$OUT/root-ca.key.pem"
issue root-ca "/O=Sealpost Test/CN=Sealpost Test Root CA" v3_root self "$NORMAL_START" "$NORMAL_END"

gen_rsa "$OUT/intermediate-ca.key.pem"
issue intermediate-ca "/O=Sealpost Test/CN=Sealpost Test Intermediate CA" v3_intermediate root-ca \
    "$NORMAL_START" "$NORMAL_END"
cp "$OUT/intermediate-ca.cert.pem" "$OUT/chain.pem"

gen_rsa "$OUT/other-root-ca.key.pem"
issue other-root-ca "/O=Other Test Org/CN=Other Test Root CA" v3_root self "$NORMAL_START" "$NORMAL_END"

# user NAME KEYTYPE CN EMAIL EXT ISSUER START END
user() {
    local name="$1" ktype="$2" cn="$3" email="$4" ext="$5" issuer="$6" start="$7" end="$8"
    if [[ "$ktype" == ec ]]; then gen_ec "$OUT/$name.key.pem"; else gen_rsa "$OUT/$name.key.pem"; fi
    SAN_EMAIL="$email" issue "$name" "/O=Sealpost Test/CN=$cn/emailAddress=$email" "$ext" "$issuer" \
        "$start" "$end"
}
user alice           rsa "Alice Test"   alice@example.org   v3_user_rsa        intermediate-ca "$NORMAL_START" "$NORMAL_END"
user bob             ec  "Bob Test"     bob@example.org     v3_user_ec         intermediate-ca "$NORMAL_START" "$NORMAL_END"
user carol           rsa "Carol Test"   carol@example.org   v3_user_rsa        intermediate-ca "$NORMAL_START" "$NORMAL_END"
user eve-expired     rsa "Eve Test"     eve@example.org     v3_user_rsa        intermediate-ca 20200101000000Z 20210101000000Z
user mallory-noemail rsa "Mallory Test" mallory@example.org v3_user_clientauth intermediate-ca "$NORMAL_START" "$NORMAL_END"
user dave-untrusted  rsa "Dave Test"    dave@example.org    v3_user_rsa        other-root-ca   "$NORMAL_START" "$NORMAL_END"

# Alice's key/cert in every container format.
printf '%s' 'alice-key-password' >"$OUT/alice.password.txt"
printf '%s' 'sealpost-p12-password' >"$OUT/p12.password.txt"
openssl x509 -in "$OUT/alice.cert.pem" -outform DER -out "$OUT/alice.cert.der"
openssl pkcs8 -topk8 -nocrypt -in "$OUT/alice.key.pem" -outform DER -out "$OUT/alice.key.der"
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "$OUT/alice.key.pem" \
    -passout "file:$OUT/alice.password.txt" -out "$OUT/alice.key.enc.pem"
openssl pkcs12 -export -name "Alice Test" -in "$OUT/alice.cert.pem" -inkey "$OUT/alice.key.pem" \
    -certfile "$OUT/chain.pem" -passout "file:$OUT/p12.password.txt" -out "$OUT/alice.p12"
openssl pkcs12 -export -legacy -name "Alice Test" -in "$OUT/alice.cert.pem" \
    -inkey "$OUT/alice.key.pem" -certfile "$OUT/chain.pem" \
    -passout "file:$OUT/p12.password.txt" -out "$OUT/alice-legacy.p12"

# Certs-only bag (degenerate SignedData): alice + intermediate.
openssl crl2pkcs7 -nocrl -certfile "$OUT/alice.cert.pem" -certfile "$OUT/chain.pem" \
    -outform DER -out "$OUT/certs-only.p7c"

# --------------------------------------------------------------- messages ---
echo "== messages"
rm -rf "$OUT/parts"
W="$WORK/msg"
mkdir -p "$W"

# text_part FILE BODY-LINE...: a 7bit text/plain entity (CRLF).
text_part() {
    local f="$1"
    shift
    {
        printf 'Content-Type: text/plain; charset=utf-8\n'
        printf 'Content-Transfer-Encoding: 7bit\n\n'
        printf '%s\n' "$@"
    } | text_crlf "$f"
}

# plain.eml
text_part "$W/plain.txt" "Hello Bob," "" "This message is neither signed nor encrypted." "" "Alice"
{ hdrs "$ALICE" "$BOB" "Plain message" plain; printf 'MIME-Version: 1.0\r\n'; cat "$W/plain.txt"; } \
    >"$OUT/plain.eml"
crlf "$OUT/plain.eml"
save_payload "$W/plain.txt" plain

# signed-detached.eml (the "100 EUR" line is what signed-tampered.eml changes)
text_part "$W/sd.txt" "Hello Bob," "" "Please pay the invoice of 100 EUR by Friday." "" "Alice"
sign_detached "$W/sd.txt" "$W/sd.smime" alice
hdrs "$ALICE" "$BOB" "Signed (detached)" signed-detached >"$W/h"
assemble "$OUT/signed-detached.eml" "$W/h" "$W/sd.smime"
save_payload "$W/sd.txt" signed-detached

# signed-tampered.eml: one body character of the signed first part changed.
perl -0777 -pe 's/invoice of 100 EUR/invoice of 900 EUR/ or die "tamper anchor missing\n"' \
    "$OUT/signed-detached.eml" >"$OUT/signed-tampered.eml"
perl -0777 -pi -e 's/^Subject: Signed \(detached\)\r$/Subject: Signed (tampered)\r/m or die;
                   s/^Message-ID: <signed-detached@/Message-ID: <signed-tampered@/m or die;' \
    "$OUT/signed-tampered.eml"

# signed-opaque.eml
text_part "$W/so.txt" "Hello Bob," "" "This message is signed by Alice (opaque signedData)." "" "Alice"
sign_opaque "$W/so.txt" "$W/so.smime" alice
hdrs "$ALICE" "$BOB" "Signed (opaque)" signed-opaque >"$W/h"
assemble "$OUT/signed-opaque.eml" "$W/h" "$W/so.smime"
save_payload "$W/so.txt" signed-opaque

# encrypted-cbc-bob.eml (ECDH, AES-256-CBC)
text_part "$W/ecb.txt" "Hello Bob," "" "This message is encrypted to your EC key with AES-256-CBC." "" "Alice"
encrypt "$W/ecb.txt" "$W/ecb.smime" -aes-256-cbc -recip "$OUT/bob.cert.pem"
hdrs "$ALICE" "$BOB" "Encrypted (CBC, to Bob)" encrypted-cbc-bob >"$W/h"
assemble "$OUT/encrypted-cbc-bob.eml" "$W/h" "$W/ecb.smime"
save_payload "$W/ecb.txt" encrypted-cbc-bob

# encrypted-gcm-alice.eml (RSA, AES-256-GCM => AuthEnvelopedData)
text_part "$W/ega.txt" "Hello Alice," "" "This message is encrypted to you with AES-256-GCM." "" "Carol"
encrypt "$W/ega.txt" "$W/ega.smime" -aes-256-gcm -recip "$OUT/alice.cert.pem"
hdrs "$CAROL" "$ALICE" "Encrypted (GCM, to Alice)" encrypted-gcm-alice >"$W/h"
assemble "$OUT/encrypted-gcm-alice.eml" "$W/h" "$W/ega.smime"
save_payload "$W/ega.txt" encrypted-gcm-alice

# encrypted-oaep-alice.eml (RSAES-OAEP with OpenSSL defaults: SHA-1/MGF1-SHA-1)
text_part "$W/eoa.txt" "Hello Alice," "" "This message uses RSA-OAEP key transport and AES-256-CBC." "" "Carol"
encrypt "$W/eoa.txt" "$W/eoa.smime" -aes-256-cbc -recip "$OUT/alice.cert.pem" \
    -keyopt rsa_padding_mode:oaep
hdrs "$CAROL" "$ALICE" "Encrypted (RSA-OAEP, to Alice)" encrypted-oaep-alice >"$W/h"
assemble "$OUT/encrypted-oaep-alice.eml" "$W/h" "$W/eoa.smime"
save_payload "$W/eoa.txt" encrypted-oaep-alice

# encrypted-multi.eml (alice, bob, carol; AES-256-GCM)
text_part "$W/em.txt" "Hello Bob and Carol," "" "This message is encrypted to Alice, Bob and Carol." "" "Alice"
encrypt "$W/em.txt" "$W/em.smime" -aes-256-gcm -recip "$OUT/alice.cert.pem" \
    -recip "$OUT/bob.cert.pem" -recip "$OUT/carol.cert.pem"
hdrs "$ALICE" "$BOB, $CAROL" "Encrypted (three recipients)" encrypted-multi >"$W/h"
assemble "$OUT/encrypted-multi.eml" "$W/h" "$W/em.smime"
save_payload "$W/em.txt" encrypted-multi

# signed-then-encrypted.eml
text_part "$W/ste.txt" "Hello Bob," "" "This message is signed by Alice and then encrypted to Bob and Alice." "" "Alice"
sign_detached "$W/ste.txt" "$W/ste.signed" alice
encrypt "$W/ste.signed" "$W/ste.smime" -aes-256-gcm -recip "$OUT/bob.cert.pem" \
    -recip "$OUT/alice.cert.pem"
hdrs "$ALICE" "$BOB" "Signed then encrypted" signed-then-encrypted >"$W/h"
assemble "$OUT/signed-then-encrypted.eml" "$W/h" "$W/ste.smime"
save_payload "$W/ste.txt" signed-then-encrypted

# encrypted-then-signed.eml
text_part "$W/ets.txt" "Hello Bob," "" "This message is encrypted to Bob and the ciphertext is signed by Alice." "" "Alice"
encrypt "$W/ets.txt" "$W/ets.enc" -aes-256-gcm -recip "$OUT/bob.cert.pem"
strip_mime_version "$W/ets.enc"
sign_detached "$W/ets.enc" "$W/ets.smime" alice
hdrs "$ALICE" "$BOB" "Encrypted then signed" encrypted-then-signed >"$W/h"
assemble "$OUT/encrypted-then-signed.eml" "$W/h" "$W/ets.smime"
save_payload "$W/ets.txt" encrypted-then-signed

# triple-wrapped.eml: sign (detached) -> encrypt to bob -> sign (opaque)
text_part "$W/tw.txt" "Hello Bob," "" "This message is triple-wrapped: signed, encrypted, signed." "" "Alice"
sign_detached "$W/tw.txt" "$W/tw.s1" alice
encrypt "$W/tw.s1" "$W/tw.e" -aes-256-gcm -recip "$OUT/bob.cert.pem"
strip_mime_version "$W/tw.e"
sign_opaque "$W/tw.e" "$W/tw.smime" alice
hdrs "$ALICE" "$BOB" "Triple wrapped" triple-wrapped >"$W/h"
assemble "$OUT/triple-wrapped.eml" "$W/h" "$W/tw.smime"
save_payload "$W/tw.txt" triple-wrapped

# signed-from-mismatch.eml: alice's signature, From: carol
text_part "$W/sfm.txt" "Hello Bob," "" "This message claims to be from Carol but is signed by Alice." "" "Carol"
sign_detached "$W/sfm.txt" "$W/sfm.smime" alice
hdrs "$CAROL" "$BOB" "Signed, From does not match signer" signed-from-mismatch >"$W/h"
assemble "$OUT/signed-from-mismatch.eml" "$W/h" "$W/sfm.smime"
save_payload "$W/sfm.txt" signed-from-mismatch

# signed-expired.eml: eve's certificate expired 2021-01-01; signingTime 2026-01-15.
text_part "$W/se.txt" "Hello Bob," "" "This message is signed with an expired certificate." "" "Eve"
sign_detached "$W/se.txt" "$W/se.smime" eve-expired
hdrs "Eve Test <eve@example.org>" "$BOB" "Signed with expired certificate" signed-expired >"$W/h"
assemble "$OUT/signed-expired.eml" "$W/h" "$W/se.smime"
save_payload "$W/se.txt" signed-expired

# signed-untrusted.eml: dave, issued by "Other Test Root CA" (no chain included).
text_part "$W/su.txt" "Hello Bob," "" "This message is signed by a certificate from an untrusted root." "" "Dave"
sign_detached "$W/su.txt" "$W/su.smime" dave-untrusted
hdrs "Dave Test <dave@example.org>" "$BOB" "Signed by untrusted root" signed-untrusted >"$W/h"
assemble "$OUT/signed-untrusted.eml" "$W/h" "$W/su.smime"
save_payload "$W/su.txt" signed-untrusted

# signed-noemail-usage.eml: mallory, EKU clientAuth only.
text_part "$W/snu.txt" "Hello Bob," "" "This message is signed by a certificate without emailProtection." "" "Mallory"
sign_detached "$W/snu.txt" "$W/snu.smime" mallory-noemail
hdrs "Mallory Test <mallory@example.org>" "$BOB" "Signed without emailProtection EKU" \
    signed-noemail-usage >"$W/h"
assemble "$OUT/signed-noemail-usage.eml" "$W/h" "$W/snu.smime"
save_payload "$W/snu.txt" signed-noemail-usage

# signed-partial.eml: unsigned part + alice's valid multipart/signed entity.
text_part "$W/sp.txt" "Hello Bob," "" "Only this part is signed by Alice." "" "Alice"
sign_detached "$W/sp.txt" "$W/sp.signed" alice
strip_mime_version "$W/sp.signed"
{
    hdrs "$ALICE" "$BOB" "Partially signed" signed-partial
    printf 'MIME-Version: 1.0\n'
    printf 'Content-Type: multipart/mixed; boundary="sealpost-partial-boundary"\n\n'
    printf 'This is a multi-part message in MIME format.\n\n'
    printf -- '--sealpost-partial-boundary\n'
    printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n'
    printf 'I owe you 1000 EUR\n\n'
    printf -- '--sealpost-partial-boundary\n'
    cat "$W/sp.signed"
    printf '\n--sealpost-partial-boundary--\n'
} >"$OUT/signed-partial.eml"
crlf "$OUT/signed-partial.eml"
save_payload "$W/sp.txt" signed-partial

# signed-three-parts.eml: valid multipart/signed plus a third, unsigned part.
text_part "$W/s3.txt" "Hello Bob," "" "This part is signed by Alice." "" "Alice"
sign_detached "$W/s3.txt" "$W/s3.smime" alice
hdrs "$ALICE" "$BOB" "Signed with extra third part" signed-three-parts >"$W/h"
assemble "$OUT/signed-three-parts.eml" "$W/h" "$W/s3.smime"
perl -0777 -pi -e '
    /boundary="([^"]+)"/ or die "no boundary\n";
    my $b = $1;
    my $extra = "--$b\r\nContent-Type: text/plain; charset=utf-8\r\n"
              . "Content-Transfer-Encoding: 7bit\r\n\r\n"
              . "Unsigned third part: please also pay 5000 EUR.\r\n\r\n";
    s/(\r\n--\Q$b\E--)/\r\n$extra--$b--/ or die "no closing boundary\n";
' "$OUT/signed-three-parts.eml"
save_payload "$W/s3.txt" signed-three-parts

# signed-header-protected.eml: RFC 9788 hp="clear".
{
    printf 'Content-Type: text/plain; charset=utf-8; hp="clear"\n'
    printf 'Content-Transfer-Encoding: 7bit\n'
    printf 'From: %s\nTo: %s\nSubject: Protected subject\nDate: %s\n' "$ALICE" "$BOB" "$DATE_HDR"
    printf 'Message-ID: <signed-header-protected@sealpost.test>\n\n'
    printf 'Hello Bob,\n\nThe header fields of this message are protected by the signature.\n\nAlice\n'
} | text_crlf "$W/shp.txt"
sign_detached "$W/shp.txt" "$W/shp.smime" alice
hdrs "$ALICE" "$BOB" "Protected subject" signed-header-protected >"$W/h"
assemble "$OUT/signed-header-protected.eml" "$W/h" "$W/shp.smime"
save_payload "$W/shp.txt" signed-header-protected

# encrypted-header-protected.eml: RFC 9788 hp="cipher", signed by alice then
# encrypted to bob (GCM); the outer Subject is obscured as "[...]".
{
    printf 'Content-Type: text/plain; charset=utf-8; hp="cipher"\n'
    printf 'Content-Transfer-Encoding: 7bit\n'
    printf 'From: %s\nTo: %s\nSubject: Secret subject\nDate: %s\n' "$ALICE" "$BOB" "$DATE_HDR"
    printf 'Message-ID: <encrypted-header-protected@sealpost.test>\n'
    printf 'HP-Outer: From: %s\nHP-Outer: To: %s\nHP-Outer: Subject: [...]\n' "$ALICE" "$BOB"
    printf 'HP-Outer: Date: %s\n' "$DATE_HDR"
    printf 'HP-Outer: Message-ID: <encrypted-header-protected@sealpost.test>\n\n'
    printf 'Hello Bob,\n\nThe subject of this message is only visible after decryption.\n\nAlice\n'
} | text_crlf "$W/ehp.txt"
sign_detached "$W/ehp.txt" "$W/ehp.signed" alice
encrypt "$W/ehp.signed" "$W/ehp.smime" -aes-256-gcm -recip "$OUT/bob.cert.pem"
hdrs "$ALICE" "$BOB" "[...]" encrypted-header-protected >"$W/h"
assemble "$OUT/encrypted-header-protected.eml" "$W/h" "$W/ehp.smime"
save_payload "$W/ehp.txt" encrypted-header-protected

# Sanity: every .eml must be pure CRLF.
for f in "$OUT"/*.eml "$OUT"/parts/*.mime; do
    if perl -0777 -ne 'exit(/(?<!\r)\n/ ? 0 : 1)' "$f"; then
        echo "bare LF in $f" >&2
        exit 1
    fi
done
echo "== done; run ./verify-fixtures.sh to check"
