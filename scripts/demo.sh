#!/usr/bin/env bash
# A first look at Sealpost: installs dependencies, builds sealpost-cli, then signs and encrypts a
# sample message from Alice to Bob and opens it as Bob, printing the security report. As root it
# then mails it for real: a throwaway Dovecot and Postfix on this machine (tests/mail), an encrypted
# profile and an account for each of them, Alice sends through her outbox, Bob syncs his Inbox.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF -DSEALPOST_BUILD_UI=OFF >/dev/null
cmake --build build/demo --target sealpost-cli
cli=build/demo/app/cli/sealpost-cli
data=tests/data
work=$(mktemp -d)
mailfixture=tests/mail/mailserver.sh
trap '"$mailfixture" stop "$work/mail" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

printf 'From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: Lunch?\r\nDate: %s\r\nMessage-ID: <demo@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Bob, lunch at noon? -- Alice\r\n' \
    "$(date -R)" >"$work/message.eml"

echo "== 1. Alice signs and encrypts to Bob (and herself), AES-256-GCM"
"$cli" encrypt --key "$data/alice.key.pem" --cert "$data/alice.cert.pem" --chain "$data/chain.pem" \
    --to-cert "$data/bob.cert.pem" --to-cert "$data/alice.cert.pem" -i "$work/message.eml" -o "$work/protected.eml"
head -n 12 "$work/protected.eml"
echo "   [...]"

echo "== 2. Bob opens it (the test PKI's certificates are valid from 2025 to 2035)"
"$cli" open --key "$data/bob.key.pem" --cert "$data/bob.cert.pem" --trust "$data/root-ca.cert.pem" \
    -i "$work/protected.eml" -o "$work/opened.eml" --json "$work/status.json"
cat "$work/opened.eml"
echo "== 3. What Sealpost reports"
cat "$work/status.json"

if [ "$(id -u)" -ne 0 ]; then
    echo "== (the mail round trip needs root to run its throwaway Dovecot and Postfix; skipped)"
    exit 0
fi
echo "== 4. Throwaway mail servers on this machine (Dovecot IMAP, Postfix submission)"
"$mailfixture" start "$work/mail" >"$work/mail.log" 2>&1 || { cat "$work/mail.log"; exit 1; }
# shellcheck source=/dev/null
source "$work/mail/env"
echo "   IMAPS on 127.0.0.1:$MAIL_IMAPS_PORT, submission on 127.0.0.1:$MAIL_SUBMISSION_PORT (self-signed: pinned below)"
printf 'demo profile passphrase' >"$work/profile-pw"
openssl pkcs12 -export -in "$data/bob.cert.pem" -inkey "$data/bob.key.pem" -certfile "$data/chain.pem" \
    -passout "file:$data/p12.password.txt" -out "$work/bob.p12"
for who in alice bob; do
    p=(--profile "$work/$who" --passphrase-file "$work/profile-pw")
    "$cli" "${p[@]}" profile init >/dev/null
    p12="$data/alice.p12"
    [ "$who" = bob ] && p12="$work/bob.p12"
    "$cli" "${p[@]}" identity import "$p12" --p12-password-file "$data/p12.password.txt" >/dev/null
    "$cli" "${p[@]}" trust add "$data/root-ca.cert.pem" >/dev/null
    pw="MAIL_PASSWORD_$who"
    printf '%s' "${!pw}" >"$work/$who-mail-pw"
    echo "== 5. $who's account (encrypted profile; login checked on both servers)"
    "$cli" "${p[@]}" account add "$who@example.org" --password-file "$work/$who-mail-pw" \
        --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" \
        --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
done
echo "== 6. Alice sends the protected message through her outbox (SMTP submission, then filed in Sent)"
"$cli" --profile "$work/alice" --passphrase-file "$work/profile-pw" send -i "$work/protected.eml"
echo "== 7. Bob syncs his mailbox (headers and bodies; every message is opened and harvested)"
for _ in 1 2 3 4 5 6 7 8 9 10; do # Postfix hands the message to Dovecot within moments
    [ -n "$(ls -A "$MAIL_MAILDIR_bob/new" 2>/dev/null)" ] && break
    sleep 0.5
done
b=(--profile "$work/bob" --passphrase-file "$work/profile-pw")
"$cli" "${b[@]}" sync
"$cli" "${b[@]}" list
echo "== 8. What Bob's client shows for it (from the offline copy)"
uid=$("$cli" "${b[@]}" list --json | jq -r '.[0].uid')
"$cli" "${b[@]}" show "$uid" --json | jq '{subject, from, security}'
