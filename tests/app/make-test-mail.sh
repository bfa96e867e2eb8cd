#!/usr/bin/env bash
# Generates signed mail from many distinct correspondents for the profile robustness tests
# (crash-safety.sh, disk-full.sh). Every user gets an EC P-256 certificate issued by the fixture
# intermediate CA (valid 2026-01-01 for ten years, so valid at the test clock 2026-06-01), a PKCS#12
# (password: DATA_DIR/p12.password.txt) and two detached signatures, the second with a later
# signingTime. Messages are copies of those signed entities under distinct outer headers (the outer
# header is not signed, so each copy still verifies). In order: every user's first signature
# (teaches every certificate), repeats of those (no change), and in the last USERS messages every
# user's second signature (updates every certificate): harvested in batches of 200, the first
# batch and the whole mbox leave different content.
# Usage: make-test-mail.sh DATA_DIR OUT_DIR USERS MESSAGES P12S
# Writes OUT_DIR/users/uN.{cert,key}.pem, OUT_DIR/users/uN.p12 (for the first P12S users only) and
# OUT_DIR/mail.mbox.
set -euo pipefail
data=$1
out=$2
users=$3
messages=$4
p12s=$5
export TZ=UTC LC_ALL=C
mkdir -p "$out/users" "$out/entities"
cat >"$out/ext.cnf" <<'EOF'
[ v3_user_ec ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyAgreement
extendedKeyUsage       = emailProtection
subjectAltName         = email:${ENV::SAN_EMAIL}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF

for ((u = 0; u < users; u++)); do
    base="$out/users/u$u"
    email="user$u@example.org"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$base.key.pem" \
        -subj "/O=Sealpost Test/CN=User $u/emailAddress=$email" -out "$base.csr" 2>/dev/null
    SAN_EMAIL=$email faketime -f '2026-01-01 00:00:00' openssl x509 -req -in "$base.csr" -days 3650 \
        -CA "$data/intermediate-ca.cert.pem" -CAkey "$data/intermediate-ca.key.pem" -set_serial "$((1000 + u))" \
        -extfile "$out/ext.cnf" -extensions v3_user_ec -out "$base.cert.pem" 2>/dev/null
    if [ "$u" -lt "$p12s" ]; then
        openssl pkcs12 -export -in "$base.cert.pem" -inkey "$base.key.pem" -certfile "$data/chain.pem" \
            -passout "file:$data/p12.password.txt" -out "$base.p12"
    fi
    for v in 0 1; do
        printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from user %d (signature %d).\r\n' "$u" "$v" \
            >"$out/entities/u$u-$v.txt"
        # signingTime: 2026-01-10 for the first signature, 2026-02-10 for the second
        faketime -f "2026-0$((v + 1))-10 12:00:00" openssl cms -sign -binary -md sha256 -crlfeol \
            -in "$out/entities/u$u-$v.txt" -signer "$base.cert.pem" -inkey "$base.key.pem" \
            -certfile "$data/chain.pem" -out "$out/entities/u$u-$v.smime"
    done
    rm -f "$base.csr"
done

for ((i = 0; i < messages; i++)); do
    u=$((i % users))
    v=$((i >= messages - users ? 1 : 0))
    printf 'From sender@example.org Thu Jan 15 12:00:00 2026\n'
    printf 'From: User %d <user%d@example.org>\r\nTo: Bob Test <bob@example.org>\r\nSubject: message %d\r\n' "$u" "$u" "$i"
    printf 'Date: Thu, 15 Jan 2026 12:00:00 +0000\r\nMessage-ID: <m%d@generated.sealpost.test>\r\nMIME-Version: 1.0\r\n' "$i"
    # openssl's S/MIME output (CRLF with -crlfeol) starts with "MIME-Version: 1.0", given above
    tail -n +2 "$out/entities/u$u-$v.smime"
    printf '\n'
done >"$out/mail.mbox"
