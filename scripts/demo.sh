#!/usr/bin/env bash
# shellcheck disable=SC2154 # MAIL_* come from the mail fixture's env file
# A first look at Sealpost: installs dependencies, builds sealpost-cli and sealpost-keydir, starts
# a key directory on this machine, gives Alice and Bob an encrypted profile each, lets Bob publish
# his certificate, and has Alice find it there, sign and encrypt a message to Bob by address, which
# Bob opens, printing the security report. As root it then mails it for real: a throwaway Dovecot
# and Postfix on this machine (tests/mail), an account for each, Alice sends through her outbox,
# Bob syncs his Inbox. Then the whole promise: Carol and Dave start from nothing but their mailbox
# passwords, get certificates from the local sealpost-ca (the CA mails a signed challenge, their
# clients answer it), and Carol simply writes to Dave: her client finds the certificate the CA
# published, shows its plan, signs and encrypts; Dave receives, reads and replies, encrypted too.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF -DSEALPOST_BUILD_UI=OFF >/dev/null
cmake --build build/demo --target sealpost-cli sealpost-keydir sealpost-ca
cli=build/demo/app/cli/sealpost-cli
keydir=build/demo/app/keydir/sealpost-keydir
ca=build/demo/app/ca/sealpost-ca
data=tests/data
work=$(mktemp -d)
mailfixture=tests/mail/mailserver.sh
keydir_pid=
ca_pid=
cleanup() {
    [ -n "$ca_pid" ] && kill "$ca_pid" 2>/dev/null && wait "$ca_pid" 2>/dev/null
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    "$mailfixture" stop "$work/mail" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cp "$data/root-ca.cert.pem" "$work/anchors.pem"
if [ "$(id -u)" -eq 0 ]; then
    # The local CA's keys now, so that the directory trusts what it will publish.
    chmod 755 "$work"
    printf 'demo CA key passphrase\n' >"$work/ca-pass"
    printf 'data_dir = ca\nkey_passphrase_file = ca-pass\nchallenge_from = acme@example.org\nca_name = Sealpost Demo CA\n' \
        >"$work/ca.conf"
    "$ca" init --config "$work/ca.conf" >/dev/null
    cat "$work/ca/root-cert.pem" >>"$work/anchors.pem"
fi

echo "== 1. The key directory (sealpost-keydir on loopback; it accepts certificates of the test PKI and the local CA)"
printf 'demo publisher token for the CA\n' >"$work/keydir-token"
"$keydir" --listen 127.0.0.1:0 --database "sqlite:$work/keydir.sqlite" --trust-anchors "$work/anchors.pem" \
    --publisher-token-file "$work/keydir-token" >"$work/keydir.log" 2>&1 &
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

echo "== 13. The local certificate authority (sealpost-ca): ACME on loopback, challenge mails from acme@example.org"
ca_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%s\n' "$MAIL_PASSWORD_acme" >"$work/ca-mail-pw"
cat >>"$work/ca.conf" <<CONF
external_url = http://127.0.0.1:$ca_port
listen = 127.0.0.1:$ca_port
database = sqlite:ca.sqlite
smtp_url = smtp://127.0.0.1:$MAIL_SUBMISSION_PORT
imap_url = imaps://127.0.0.1:$MAIL_IMAPS_PORT
mail_password_file = ca-mail-pw
mail_ca_file = $MAIL_CERT
mail_poll_seconds = 1
keydir_url = $directory
keydir_token_file = keydir-token
CONF
"$ca" serve --config "$work/ca.conf" >"$work/ca.log" 2>&1 &
ca_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/ca.log" && break; sleep 0.1; done
echo "   http://127.0.0.1:$ca_port/directory"
for who in carol dave; do
    pw="MAIL_PASSWORD_$who"
    printf '%s' "${!pw}" >"$work/$who-mail-pw"
    p=(--profile "$work/$who" --passphrase-file "$work/profile-pw")
    echo "== 14. $who: a new profile, the mailbox password, and enroll (nothing else)"
    "$cli" "${p[@]}" profile init >/dev/null
    "$cli" "${p[@]}" account add "$who@example.org" --password-file "$work/$who-mail-pw" \
        --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" \
        --allow-self-signed-fingerprint "$MAIL_CERT_SHA256" >/dev/null
    # The deployment's CA and directory, as a packaged client would ship them.
    SEALPOST_CA_URL="http://127.0.0.1:$ca_port/directory" SEALPOST_CA_ROOT="$work/ca/root-cert.pem" \
        SEALPOST_DIRECTORY_URL="$directory" "$cli" "${p[@]}" enroll
done
c=(--profile "$work/carol" --passphrase-file "$work/profile-pw")
d=(--profile "$work/dave" --passphrase-file "$work/profile-pw")
"$cli" "${c[@]}" status
echo "== 15. Carol has never heard from Dave and writes to him: what will happen, per recipient"
for _ in $(seq 50); do # the CA publishes Dave's certificate on its own thread: wait until the directory has it
    curl -fs -o /dev/null "$directory/v1/certs/dave@example.org" && break
    sleep 0.2
done
"$cli" "${c[@]}" send --to dave@example.org --subject "Welcome" \
    --body "Hi Dave, we never exchanged keys, and yet this is private. -- Carol" --dry-run
echo "== 16. ... and sends it (signed, encrypted, the Subject protected)"
"$cli" "${c[@]}" send --to dave@example.org --subject "Welcome" \
    --body "Hi Dave, we never exchanged keys, and yet this is private. -- Carol"
echo "== 17. Dave receives and reads it"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -n "$(find "$MAIL_MAILDIR_dave/new" "$MAIL_MAILDIR_dave/cur" -type f 2>/dev/null)" ] && break
    sleep 0.5
done
"$cli" "${d[@]}" receive >"$work/receive.txt"
cat "$work/receive.txt"
uid=$(awk -F'\t' '$1 ~ /^INBOX / && $3 == "Welcome" { split($1, f, " "); print f[2]; exit }' "$work/receive.txt")
"$cli" "${d[@]}" read "$uid"
echo "== 18. Dave replies, quoting her: encrypted back to Carol (her certificate came with her signed mail)"
"$cli" "${d[@]}" reply "$uid" --quote --body "Thanks, Carol. Received, decrypted, verified."
