#!/usr/bin/env bash
# shellcheck disable=SC2154 # MAIL_* come from the mail fixture's env file
# A first look at Sealpost: installs dependencies, builds sealpost-cli and sealpost-keydir, starts
# a key directory on this machine, gives Alice and Bob an encrypted profile each, lets Bob publish
# his certificate, and has Alice find it there, sign and encrypt a message to Bob by address, which
# Bob opens, printing the security report. As root it then mails it for real: a throwaway Dovecot
# and Postfix on this machine (tests/mail), an account for each, Alice sends through her outbox,
# Bob syncs his Inbox.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF -DSEALPOST_BUILD_UI=OFF >/dev/null
cmake --build build/demo --target sealpost-cli sealpost-keydir
cli=build/demo/app/cli/sealpost-cli
keydir=build/demo/app/keydir/sealpost-keydir
data=tests/data
work=$(mktemp -d)
mailfixture=tests/mail/mailserver.sh
keydir_pid=
cleanup() {
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    "$mailfixture" stop "$work/mail" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== 1. The key directory (sealpost-keydir on loopback; it accepts certificates of the test PKI)"
"$keydir" --listen 127.0.0.1:0 --database "sqlite:$work/keydir.sqlite" --trust-anchors "$data/root-ca.cert.pem" \
    >"$work/keydir.log" 2>&1 &
keydir_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/keydir.log" && break; sleep 0.1; done
directory="http://$(sed -n 's/^listening on //p' "$work/keydir.log" | head -n1)"
echo "   $directory"

echo "== 2. Alice's and Bob's encrypted profiles: their keys, the test root, the directory"
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
    "$cli" "${p[@]}" directory set-url "$directory" >/dev/null
done
a=(--profile "$work/alice" --passphrase-file "$work/profile-pw")
b=(--profile "$work/bob" --passphrase-file "$work/profile-pw")

echo "== 3. Bob's client publishes his certificate to the directory"
"$cli" "${b[@]}" publish --pending

echo "== 4. Alice has never had mail from Bob: her client finds his certificate in the directory"
"$cli" "${a[@]}" lookup bob@example.org

printf 'From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: Lunch?\r\nDate: %s\r\nMessage-ID: <demo@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Bob, lunch at noon? -- Alice\r\n' \
    "$(date -R)" >"$work/message.eml"
echo "== 5. Alice signs and encrypts to bob@example.org (and herself), by address"
"$cli" "${a[@]}" encrypt --from alice@example.org --to bob@example.org -i "$work/message.eml" -o "$work/protected.eml"
head -n 12 "$work/protected.eml"
echo "   [...]"

echo "== 6. Bob opens it with his profile (the test PKI's certificates are valid from 2025 to 2035)"
"$cli" "${b[@]}" open -i "$work/protected.eml" -o "$work/opened.eml" --json "$work/status.json"
cat "$work/opened.eml"
echo "== 7. What Sealpost reports"
cat "$work/status.json"

if [ "$(id -u)" -ne 0 ]; then
    echo "== (the mail round trip needs root to run its throwaway Dovecot and Postfix; skipped)"
    exit 0
fi
echo "== 8. Throwaway mail servers on this machine (Dovecot IMAP, Postfix submission)"
"$mailfixture" start "$work/mail" >"$work/mail.log" 2>&1 || { cat "$work/mail.log"; exit 1; }
# shellcheck source=/dev/null
source "$work/mail/env"
echo "   IMAPS on 127.0.0.1:$MAIL_IMAPS_PORT, submission on 127.0.0.1:$MAIL_SUBMISSION_PORT (self-signed: pinned below)"
for who in alice bob; do
    pw="MAIL_PASSWORD_$who"
    printf '%s' "${!pw}" >"$work/$who-mail-pw"
    echo "== 9. $who's mail account (stored in the profile; login checked on both servers)"
    "$cli" --profile "$work/$who" --passphrase-file "$work/profile-pw" account add "$who@example.org" \
        --password-file "$work/$who-mail-pw" --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" \
        --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
done
echo "== 10. Alice sends the protected message through her outbox (SMTP submission, then filed in Sent)"
"$cli" "${a[@]}" send -i "$work/protected.eml"
echo "== 11. Bob syncs his mailbox (headers and bodies; every message is opened and harvested)"
for _ in 1 2 3 4 5 6 7 8 9 10; do # Postfix hands the message to Dovecot within moments
    [ -n "$(ls -A "$MAIL_MAILDIR_bob/new" 2>/dev/null)" ] && break
    sleep 0.5
done
"$cli" "${b[@]}" sync
"$cli" "${b[@]}" list
echo "== 12. What Bob's client shows for it (from the offline copy)"
uid=$("$cli" "${b[@]}" list --json | jq -r '.[0].uid')
"$cli" "${b[@]}" show "$uid" --json | jq '{subject, from, security}'
