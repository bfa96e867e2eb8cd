#!/usr/bin/env bash
# Enrollment end to end through the real stack: Dovecot + Postfix (tests/mail/mailserver.sh),
# sealpost-ca and sealpost-keydir. A fresh profile that knows only its mailbox credentials enrolls
# (the CA mails a signed challenge, the client answers it through its own mailbox); the certificate
# passes `openssl verify -purpose smimesign` and `-purpose smimeencrypt` against the CA root; the
# CA publishes it and another profile finds it with `lookup`; `renew --force` replaces it and
# keeps the old generation.
# Usage: enroll-e2e-test.sh SEALPOST-CLI SEALPOST-CA SEALPOST-KEYDIR MAILSERVER.SH
# Needs root (the mail fixture); exits 77 (skipped) otherwise.
set -u
cli=$1
ca=$2
keydir=$3
mailserver=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for the mail servers"; exit 77; }
work=$(mktemp -d)
chmod 755 "$work"
ca_pid=
keydir_pid=
cleanup() {
    [ -n "$ca_pid" ] && kill "$ca_pid" 2>/dev/null && wait "$ca_pid" 2>/dev/null
    [ -n "$keydir_pid" ] && kill "$keydir_pid" 2>/dev/null && wait "$keydir_pid" 2>/dev/null
    bash "$mailserver" stop "$work/mail" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/testlib.sh"

bash "$mailserver" start "$work/mail" >"$work/mail.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { cat "$work/mail.log"; exit 77; }
[ $rc -eq 0 ] || { cat "$work/mail.log"; echo "FAIL: the mail servers did not start"; exit 1; }
# shellcheck source=/dev/null
. "$work/mail/env"

# shellcheck source=ca-fixture.sh
. "$(dirname "$0")/ca-fixture.sh"

# The CA: key material first, then the directory trusting its root, then the service.
ca_port=$(free_port)
printf 'publisher-token-for-the-e2e-test\n' >"$work/keydir-token"
write_ca_config "$work" "$ca_port"
"$ca" init --config "$work/ca.conf" >"$work/ca-init.out" 2>&1
rc=$?
check "sealpost-ca init creates the CA" '[ $rc -eq 0 ] && [ -s "$work/ca/root-cert.pem" ]' "$(cat "$work/ca-init.out")"
"$ca" init --config "$work/ca.conf" >"$work/ca-init2.out" 2>&1
rc=$?
check "a second init refuses to overwrite the CA" '[ $rc -ne 0 ] && grep -q "refusing to overwrite" "$work/ca-init2.out"' \
    "$(cat "$work/ca-init2.out")"
root="$work/ca/root-cert.pem"

start_keydir "$work" "$root" --publisher-token-file "$work/keydir-token"
check "sealpost-keydir starts" '[ -n "$keydir_address" ]' "$(cat "$work/keydir.log")"
printf 'keydir_url = http://%s\nkeydir_token_file = keydir-token\n' "$keydir_address" >>"$work/ca.conf"

start_ca "$work"
check "sealpost-ca serves ACME" '[ "$ca_address" = "127.0.0.1:$ca_port" ]' "$(cat "$work/ca.log")"
[ -n "$ca_address" ] && [ -n "$keydir_address" ] || { finish; exit 1; }
directory_url="http://$ca_address/directory"

# Alice: a fresh profile and her mailbox credentials; the CA is the deployment's default.
export SEALPOST_PROFILE=$work/alice SEALPOST_PASSPHRASE=alice-profile
printf '%s' "$MAIL_PASSWORD_alice" >"$work/alice-mail-pw"
run profile init
run account add "$MAIL_USER_alice" --password-file "$work/alice-mail-pw" --imap "imaps://127.0.0.1:$MAIL_IMAPS_PORT" \
    --smtp "smtp://127.0.0.1:$MAIL_SUBMISSION_PORT" --allow-self-signed-fingerprint "$MAIL_CERT_SHA256"
check "alice's account is added" '[ $rc -eq 0 ]' "$(cat "$work/stdout" "$work/stderr")"
start=$(date +%s%N)
# The deployment's CA comes from the environment: the command itself takes no option.
export SEALPOST_CA_URL=$directory_url SEALPOST_CA_ROOT=$root
run enroll --json
unset SEALPOST_CA_URL SEALPOST_CA_ROOT
end=$(date +%s%N)
check "alice enrolls with no further input" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr") $(tail -n 30 "$work/ca.log")"
echo "enrollment took $(((end - start) / 1000000)) ms"
cp "$work/stdout" "$work/enroll.json"
cp "$work/stderr" "$work/enroll.progress"
check "enroll reports its steps on standard error" '[ "$(wc -l <"$work/enroll.progress")" -ge 3 ]' \
    "$(cat "$work/enroll.progress")"

run identity list --json
fingerprint=$(jq -r '[.[] | select(.state == "current")][0].fingerprint_sha256 // empty' "$work/stdout" 2>/dev/null)
check "the new identity is current" '[ -n "$fingerprint" ]' "$(cat "$work/stdout")"
printf 'export-pw\n' >"$work/p12pw"
run identity export "$fingerprint" -o "$work/alice.p12" --p12-password-file "$work/p12pw"
openssl pkcs12 -in "$work/alice.p12" -passin "file:$work/p12pw" -nokeys -clcerts -out "$work/alice-cert.pem" 2>/dev/null
openssl pkcs12 -in "$work/alice.p12" -passin "file:$work/p12pw" -nokeys -cacerts -out "$work/alice-chain.pem" 2>/dev/null
for purpose in smimesign smimeencrypt; do
    out=$(openssl verify -purpose "$purpose" -CAfile "$root" -untrusted "$work/alice-chain.pem" "$work/alice-cert.pem" 2>&1)
    check "openssl verify -purpose $purpose accepts the certificate" '[ "$out" = "$work/alice-cert.pem: OK" ]' "$out"
done
check "the certificate names alice's address" \
    'openssl x509 -in "$work/alice-cert.pem" -noout -ext subjectAltName | grep -q "email:$MAIL_USER_alice"' \
    "$(openssl x509 -in "$work/alice-cert.pem" -noout -text 2>&1 | head -40)"
check "the certificate key is RSA-3072 (the default)" \
    'openssl x509 -in "$work/alice-cert.pem" -noout -text | grep -q "Public-Key: (3072 bit)"'
check "the challenge mail is gone from alice's INBOX" \
    '! grep -rl "^Subject: ACME:" "$MAIL_MAILDIR_alice/new" "$MAIL_MAILDIR_alice/cur" 2>/dev/null | grep -q .'
# The CA accepts the reply, then expunges it: enroll may return before the expunge.
acme_empty='[ -z "$(find "$MAIL_MAILDIR_acme/new" "$MAIL_MAILDIR_acme/cur" -type f 2>/dev/null)" ]'
check "the CA's mailbox is empty again" 'eventually 10 "$acme_empty"'
run status --json
check "status shows the next renewal" '[ $rc -eq 0 ] && grep -q "renew" "$work/stdout"' "$(cat "$work/stdout")"

# Bob, who never heard from Alice, finds her certificate in the directory.
export SEALPOST_PROFILE=$work/bob SEALPOST_PASSPHRASE=bob-profile
run profile init
run trust add "$root"
run directory set-url "http://$keydir_address"
found=no
for _ in $(seq 50); do # the CA publishes on its own thread, right after issuance
    run lookup "$MAIL_USER_alice" --json
    if [ $rc -eq 0 ] && grep -q "$fingerprint" "$work/stdout"; then found=yes; break; fi
    sleep 0.2
done
check "bob's lookup finds alice's new certificate" '[ $found = yes ]' \
    "$(cat "$work/stdout" "$work/stderr") $(grep keydir "$work/ca.log")"

# Renewal on demand: a new generation, the old one kept for old mail.
export SEALPOST_PROFILE=$work/alice SEALPOST_PASSPHRASE=alice-profile
run renew --force --json
check "renew --force renews" '[ $rc -eq 0 ]' "$rc $(cat "$work/stdout" "$work/stderr") $(tail -n 20 "$work/ca.log")"
run identity list --json
check "the renewed identity is current and the old one retired" \
    '[ "$(jq -r "[.[] | select(.state == \"current\")][0].fingerprint_sha256" "$work/stdout")" != "$fingerprint" ] &&
     jqe ".[] | select(.fingerprint_sha256 == \"$fingerprint\" and .state == \"retired\")" "$work/stdout" >/dev/null' \
    "$(cat "$work/stdout")"
finish
